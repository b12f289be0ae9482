//! Fuzz target: arbitrary text as each settings file a user passes: a `--rules` pack (parsed,
//! then compiled beside the built-in packs), a `--facts` file and a `--config` file. Any panic is
//! a bug; a load error naming the problem is the right answer.
#![no_main]

use std::path::Path;

use callqa::config::ConfigFile;
use callqa::text::facts::FactSet;
use callqa::text::rules::{parse_pack, RuleSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    match pick % 3 {
        0 => {
            if let Ok(rules) = parse_pack("fuzz.toml", &text) {
                let _ = RuleSet::with_extra(rules);
            }
        }
        1 => {
            let _ = FactSet::parse("fuzz.toml", &text);
        }
        _ => {
            let _ = ConfigFile::parse(Path::new("fuzz.toml"), &text);
        }
    }
});
