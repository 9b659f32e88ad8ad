//! The `bluegreen` binary: parses the command line and hands over to the library.

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    Ok(())
}
