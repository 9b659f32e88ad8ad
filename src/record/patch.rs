//! Observations in a recording are written whole the first time, then as
//! what changed: a JSON merge patch (RFC 7386: an object's fields merge,
//! `null` removes one) with one addition for lists, which change an element
//! at a time (a target's hook, an instance's health). A list that changed
//! in a few places is written `{"~n": length, "~": [[index, patch], …]}`:
//! indexes below the old length carry a patch of that element, the rest
//! the new element whole. No field of an observation is called `~`.

use serde_json::{Map, Value};

/// What turns `old` into `new`; `None` when they are equal.
pub fn diff(old: &Value, new: &Value) -> Option<Value> {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut patch = Map::new();
            for (k, nv) in b {
                match a.get(k) {
                    Some(ov) => {
                        if let Some(p) = diff(ov, nv) {
                            patch.insert(k.clone(), p);
                        }
                    }
                    // A field absent before and null now is unchanged (both read as none).
                    None if nv.is_null() => {}
                    None => {
                        patch.insert(k.clone(), nv.clone());
                    }
                }
            }
            for (k, ov) in a {
                if !b.contains_key(k) && !ov.is_null() {
                    patch.insert(k.clone(), Value::Null);
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        (Value::Array(a), Value::Array(b)) => {
            if a == b {
                return None;
            }
            let mut changes = Vec::new();
            for (i, nv) in b.iter().enumerate() {
                match a.get(i) {
                    Some(ov) => {
                        if let Some(p) = diff(ov, nv) {
                            changes.push(Value::Array(vec![Value::from(i), p]));
                        }
                    }
                    None => changes.push(Value::Array(vec![Value::from(i), nv.clone()])),
                }
            }
            // Everything changed: the list whole is shorter and plainer.
            if changes.len() >= b.len() {
                return Some(new.clone());
            }
            let mut patch = Map::new();
            patch.insert("~n".into(), Value::from(b.len()));
            patch.insert("~".into(), Value::Array(changes));
            Some(Value::Object(patch))
        }
        _ => (old != new).then(|| new.clone()),
    }
}

/// Changes `target` by `patch` (as [`diff`] makes them).
pub fn apply(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Array(list), Value::Object(p)) if p.contains_key("~") => {
            let old_len = list.len();
            let len = p.get("~n").and_then(Value::as_u64).map_or(old_len, |n| n as usize);
            list.resize(len, Value::Null);
            for change in p.get("~").and_then(Value::as_array).into_iter().flatten() {
                let Some([i, v]) = change.as_array().map(Vec::as_slice) else { continue };
                let Some(i) = i.as_u64().map(|i| i as usize).filter(|i| *i < len) else { continue };
                if i < old_len {
                    apply(&mut list[i], v);
                } else {
                    list[i] = v.clone();
                }
            }
        }
        (Value::Object(fields), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    fields.remove(k);
                } else if let Some(field) = fields.get_mut(k) {
                    apply(field, v);
                } else {
                    fields.insert(k.clone(), v.clone());
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn round_trip(old: &Value, new: &Value) -> Option<Value> {
        let patch = diff(old, new);
        let mut applied = old.clone();
        if let Some(p) = &patch {
            apply(&mut applied, p);
        }
        assert_eq!(&applied, new, "{old} + {patch:?}");
        patch
    }

    #[test]
    fn a_patch_carries_only_what_changed_and_applies_back_exactly() {
        let old = json!({"at": 1, "a": {"b": 1, "c": "x"}, "gone": 3, "none": null,
            "list": [{"id": "i-1", "h": "ok"}, {"id": "i-2", "h": "ok"}, {"id": "i-3", "h": "ok"}]});
        let new = json!({"at": 2, "a": {"b": 1, "c": "y"}, "none": null, "added": {"k": [1]},
            "list": [{"id": "i-1", "h": "ok"}, {"id": "i-2", "h": "bad"}, {"id": "i-3", "h": "ok"}, {"id": "i-4"}]});
        let patch = round_trip(&old, &new).unwrap();
        assert_eq!(
            patch,
            json!({"at": 2, "a": {"c": "y"}, "gone": null, "added": {"k": [1]},
                "list": {"~n": 4, "~": [[1, {"h": "bad"}], [3, {"id": "i-4"}]]}})
        );
        assert_eq!(round_trip(&new, &new), None, "nothing changed: no patch");
    }

    #[test]
    fn lists_that_shrink_or_change_whole_and_values_that_change_kind_apply_back() {
        round_trip(&json!({"l": [1, 2, 3]}), &json!({"l": [1, 2]}));
        round_trip(&json!({"l": [1, 2]}), &json!({"l": [3, 4]}));
        round_trip(&json!({"l": []}), &json!({"l": [{"a": 1}]}));
        round_trip(&json!({"s": "Unchecked"}), &json!({"s": {"Overwritten": {"etag": "e"}}}));
        round_trip(&json!({"w": {"Reroute": {"until": 1}}}), &json!({"w": {"Termination": {"until": 2}}}));
        round_trip(&Value::Null, &json!({"whole": [1, {"a": null}]}));
        assert_eq!(diff(&json!([1, 2]), &json!([5, 6])), Some(json!([5, 6])), "all changed: whole");
        // A field absent before and null now is no change.
        assert_eq!(diff(&json!({}), &json!({"x": null})), None);
        // A list that became something else is written whole.
        round_trip(&json!({"v": [1]}), &json!({"v": {"a": 1}}));
        // A patch naming an element past the list's end changes nothing.
        let mut list = json!([1, 2]);
        apply(&mut list, &json!({"~n": 2, "~": [[2, 5], [1, 7]]}));
        assert_eq!(list, json!([1, 7]));
        // A field that became null is removed: both read as none.
        let mut v = json!({"w": {"x": 1}});
        let p = diff(&v, &json!({"w": null})).unwrap();
        apply(&mut v, &p);
        assert_eq!(v, json!({}));
    }
}
