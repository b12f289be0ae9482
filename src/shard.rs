//! Splitting one run across machines (`--shard K/N`): which inputs a shard analyses, and the shard
//! a job-array engine (Kubernetes Indexed Job, Slurm array, AWS Batch array) hands a process.

use std::path::{Path, PathBuf};

use crate::config::Shard;

/// The environment variables `--shard auto` reads, in this order: (index variable, count
/// variable or `None` when the engine does not publish the count, whether the index is 0-based).
const ENGINES: [(&str, Option<&str>, bool); 3] = [
    ("JOB_COMPLETION_INDEX", None, true),
    ("SLURM_ARRAY_TASK_ID", Some("SLURM_ARRAY_TASK_COUNT"), false),
    ("AWS_BATCH_JOB_ARRAY_INDEX", None, true),
];

/// Parses `--shard`: `K/N` (1 <= K <= N), or `auto` with the index (and the count) from the job
/// engine's environment (`env` looks a variable up); `count` is `--shard-count`, needed where the
/// engine does not publish the count (Kubernetes, AWS Batch) and checked against it where it does.
pub fn resolve(
    spec: &str,
    count: Option<usize>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shard, String> {
    let spec = spec.trim();
    if spec == "auto" {
        return from_env(count, env);
    }
    if count.is_some() {
        return Err(format!(
            "--shard-count goes with --shard auto; --shard {spec} already names the count"
        ));
    }
    let (k, n) = spec
        .split_once('/')
        .ok_or_else(|| format!("--shard {spec:?}: write K/N (e.g. 2/3) or auto"))?;
    let number = |text: &str| text.trim().parse::<usize>().ok();
    match (number(k), number(n)) {
        (Some(index), Some(count)) => checked(index, count, "--shard"),
        _ => Err(format!(
            "--shard {spec:?}: K and N must be whole numbers, e.g. 2/3"
        )),
    }
}

fn checked(index: usize, count: usize, source: &str) -> Result<Shard, String> {
    if count == 0 || index == 0 || index > count {
        return Err(format!(
            "{source}: shard {index} of {count} does not exist (shards are numbered 1 to N, N >= 1)"
        ));
    }
    Ok(Shard { index, count })
}

fn from_env(count: Option<usize>, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
    for (index_var, count_var, zero_based) in ENGINES {
        let Some(raw) = env(index_var) else {
            continue;
        };
        let index: usize = raw
            .trim()
            .parse()
            .map_err(|_| format!("--shard auto: {index_var}={raw:?} is not a whole number"))?;
        let published = count_var
            .and_then(|var| env(var).map(|v| (var, v)))
            .map(|(var, v)| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("--shard auto: {var}={v:?} is not a whole number"))
            })
            .transpose()?;
        let count = match (published, count) {
            (Some(p), Some(c)) if p != c => {
                return Err(format!(
                    "--shard auto: --shard-count {c} disagrees with {} = {p}",
                    count_var.unwrap_or_default()
                ))
            }
            (Some(n), _) | (None, Some(n)) => n,
            (None, None) => {
                return Err(format!(
                    "--shard auto: {index_var} is set but the number of shards is not: add \
                     --shard-count N (the Job's completions / the array size)"
                ))
            }
        };
        let index = if zero_based { index + 1 } else { index };
        return checked(index, count, &format!("--shard auto ({index_var}={raw})"));
    }
    Err(
        "--shard auto: none of JOB_COMPLETION_INDEX (Kubernetes Indexed Job), SLURM_ARRAY_TASK_ID \
         (Slurm array) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array) is set: run inside an array \
         job, or give --shard K/N"
            .into(),
    )
}

/// The path that decides a file's shard: relative to the input folder it was found under (so
/// that machines mounting the recordings at different places agree), or as given for a file
/// named directly; `/` separates the parts on every system.
pub fn relative_key(inputs: &[PathBuf], path: &Path) -> String {
    let relative = inputs
        .iter()
        .filter_map(|root| path.strip_prefix(root).ok())
        .filter(|rel| !rel.as_os_str().is_empty())
        .min_by_key(|rel| rel.components().count())
        .unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether the input with this relative path belongs to `shard`: FNV-1a (64-bit) of the path,
/// modulo the shard count. A file keeps its shard when others are added or removed, and each
/// shard gets 1/N of the files on average.
pub fn selects(shard: Shard, relative: &str) -> bool {
    let hash = relative.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % shard.count as u64) as usize == shard.index - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn shard(index: usize, count: usize) -> Shard {
        Shard { index, count }
    }

    #[test]
    fn explicit_shards_parse_and_bad_ones_say_how() {
        let none = env_of(&[]);
        assert_eq!(resolve("2/3", None, &none), Ok(shard(2, 3)));
        assert_eq!(resolve(" 1/1 ", None, &none), Ok(shard(1, 1)));
        for bad in ["0/3", "4/3", "1/0", "x/3", "3", "auto/2"] {
            assert!(resolve(bad, None, &none).is_err(), "{bad}");
        }
        assert!(resolve("1/3", Some(3), &none)
            .unwrap_err()
            .contains("--shard auto"));
    }

    #[test]
    fn kubernetes_indexed_job_index_is_zero_based_and_needs_the_count() {
        let env = env_of(&[("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(resolve("auto", Some(3), &env), Ok(shard(3, 3)));
        assert!(resolve("auto", None, &env)
            .unwrap_err()
            .contains("--shard-count"));
        assert!(
            resolve("auto", Some(2), &env).is_err(),
            "index 2 of 2 shards"
        );
    }

    #[test]
    fn slurm_array_ids_are_one_based_with_the_published_count() {
        let env = env_of(&[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert_eq!(resolve("auto", None, &env), Ok(shard(1, 3)));
        assert_eq!(resolve("auto", Some(3), &env), Ok(shard(1, 3)));
        assert!(resolve("auto", Some(4), &env)
            .unwrap_err()
            .contains("disagrees"));
    }

    #[test]
    fn aws_batch_array_index_is_zero_based() {
        let env = env_of(&[("AWS_BATCH_JOB_ARRAY_INDEX", "0")]);
        assert_eq!(resolve("auto", Some(5), &env), Ok(shard(1, 5)));
    }

    #[test]
    fn auto_outside_an_array_job_or_with_garbage_is_an_error() {
        assert!(resolve("auto", Some(3), &env_of(&[]))
            .unwrap_err()
            .contains("SLURM_ARRAY_TASK_ID"));
        let env = env_of(&[("JOB_COMPLETION_INDEX", "one")]);
        assert!(resolve("auto", Some(3), &env).is_err());
    }

    #[test]
    fn every_file_lands_in_exactly_one_shard_and_shares_are_balanced() {
        let names: Vec<String> = (0..3000)
            .map(|i| format!("vendor-{}/call-{i:04}.wav", i % 7))
            .collect();
        let mut sizes = [0usize; 3];
        for name in &names {
            let owners: Vec<usize> = (1..=3).filter(|&k| selects(shard(k, 3), name)).collect();
            assert_eq!(owners.len(), 1, "{name}");
            sizes[owners[0] - 1] += 1;
        }
        for size in sizes {
            assert!((900..=1100).contains(&size), "{sizes:?}");
        }
    }

    #[test]
    fn relative_keys_ignore_where_the_folder_is_mounted() {
        let here = relative_key(
            &[PathBuf::from("/data/calls")],
            Path::new("/data/calls/vendor-a/x.wav"),
        );
        let there = relative_key(
            &[PathBuf::from("/mnt/calls")],
            Path::new("/mnt/calls/vendor-a/x.wav"),
        );
        assert_eq!(here, "vendor-a/x.wav");
        assert_eq!(here, there);
        let file = PathBuf::from("one/call.wav");
        assert_eq!(
            relative_key(std::slice::from_ref(&file), &file),
            "one/call.wav"
        );
    }
}
