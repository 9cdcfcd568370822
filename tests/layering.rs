//! The core must know nothing of terminals: ratatui and crossterm live only
//! in `src/tui/`. This keeps the layering in architecture.md honest.

use std::path::Path;

fn scan(dir: &Path, hits: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, hits);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                if line.contains("ratatui") || line.contains("crossterm") {
                    hits.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
    }
}

#[test]
fn core_layers_never_mention_the_terminal() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut hits = Vec::new();
    for layer in ["domain", "clean", "store", "service", "ingest"] {
        scan(&src.join(layer), &mut hits);
    }
    assert!(hits.is_empty(), "terminal code below the UI layer:\n{}", hits.join("\n"));
}
