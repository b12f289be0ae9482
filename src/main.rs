//! The callqa binary: parse arguments, run the subcommand, exit with its code.

use callqa::cli::{Cli, Command, ModelCommand};
use callqa::commands::{analyze, merge, model, report, rules, scan};
use callqa::escape::terminal;
use callqa::exit_codes::ExitCode;

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let term = cli.terminal();
    match cli.command {
        Command::Analyze(args) => analyze::run(&args.into_config(term)?),
        Command::Merge(args) => merge::run(&args.into_config(term)?),
        Command::Scan(args) => scan::run(&args.into_config(term)?),
        Command::Rules(cmd) => rules::run(&cmd.into_config()?, term),
        Command::Model(ModelCommand::Fetch { name, quantize }) => {
            let weights = quantize.map_or(model::Weights::Default, |q| q.weights());
            model::fetch(&name, weights, term)
        }
        Command::Model(ModelCommand::Import {
            ct2_dir,
            output,
            quantize,
        }) => model::import(&ct2_dir, &output, quantize.and_then(|q| q.quantization())),
        Command::Model(ModelCommand::List) => model::list(),
        Command::Report(args) => report::run(&args.into_config()?),
        Command::Completions { shell } => {
            callqa::cli::write_completions(shell, &mut std::io::stdout().lock())?;
            Ok(ExitCode::Success)
        }
        Command::Man => {
            callqa::cli::write_man(&mut std::io::stdout().lock())?;
            Ok(ExitCode::Success)
        }
    }
}

/// A reader that closed the pipe early (`callqa ... | head`) chose to stop reading: not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() {
    let cli = callqa::cli::parse_args();
    let code = match run(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::Success,
        Err(err) => {
            eprintln!("error: {}", terminal(&err.to_string()));
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {}", terminal(&cause.to_string()));
            }
            ExitCode::GeneralError
        }
    };
    std::process::exit(code.code());
}
