//! `status --all`: every deployment group of a region, as the fleet reads
//! it, for scripts: a table of text, or a JSON object per line; the exit
//! code is the worst latest deployment's (1 failed or stopped, 3 in
//! progress, else 0).

use serde_json::{Value, json};

use super::SCHEMA_VERSION;
use crate::app::fleet::Column;
use crate::domain::fleet::{Row, Waits, standing};
use crate::domain::{At, DeploymentStatus, LoadBalancerKind, clean};
use crate::exit::Failure;

/// One group as `status --all --json` prints it (every text cleaned).
pub fn to_json(row: &Row, region: &str, now: At) -> Value {
    let waits = row.waits.as_ref().map(|w| match w {
        Waits::Reroute { at_least_until, stops } => json!({
            "for": "reroute",
            "at_least_until": at_least_until.map(At::rfc3339),
            "then": if *stops { "stop" } else { "continue" },
        }),
        Waits::Termination => json!({"for": "termination", "at_least_until": null, "then": "terminate"}),
    });
    json!({
        "schema_version": SCHEMA_VERSION,
        "time": now.rfc3339(),
        "region": region,
        "application": clean(&row.application, 256),
        "deployment_group": clean(&row.group, 256),
        "style": row.style.key(),
        "autoscaling_groups": row.asgs.iter().map(|a| clean(a, 256)).collect::<Vec<_>>(),
        "load_balancer": row.balancer.as_ref().map(|(kind, names)| json!({
            "kind": if *kind == LoadBalancerKind::Classic { "classic" } else { "target_group" },
            "names": names.iter().map(|n| clean(n, 256)).collect::<Vec<_>>(),
        })),
        "deployment": row.latest.as_ref().map(|l| json!({
            "id": clean(&l.id, 64),
            "status": l.status.as_str(),
            "created": l.created.map(At::rfc3339),
            "ended": l.ended.map(At::rfc3339),
            "active": !l.status.is_final(),
        })),
        "waits_for": waits,
        "leftovers": row.leftovers.iter().map(|n| clean(n, 256)).collect::<Vec<_>>(),
        "attention": row.attention.iter().map(|a| a.word()).collect::<Vec<_>>(),
    })
}

/// The groups as an aligned table, with a title line.
pub fn to_text(rows: &[Row], now: At) -> Vec<String> {
    let cells: Vec<Vec<String>> =
        rows.iter().map(|r| Column::ALL.iter().map(|c| clean(&c.cell(r, now), 300)).collect()).collect();
    let widths: Vec<usize> = Column::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|row| crate::text::width(&row[i])).chain([c.title().len()]).max().unwrap_or(0))
        .collect();
    let line = |texts: Vec<&str>| {
        let padded: Vec<String> = texts
            .iter()
            .zip(&widths)
            .map(|(t, w)| format!("{t}{}", " ".repeat(w.saturating_sub(crate::text::width(t)))))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(Column::ALL.iter().map(|c| c.title()).collect())];
    out.extend(cells.iter().map(|row| line(row.iter().map(String::as_str).collect())));
    out
}

/// 0, 1 or 3, as `status` exits.
pub fn result(rows: &[Row]) -> Result<(), Failure> {
    match standing(rows) {
        Some(DeploymentStatus::Failed | DeploymentStatus::Stopped) => Err(Failure::Quiet(1)),
        Some(_) => Err(Failure::Quiet(3)),
        None => Ok(()),
    }
}
