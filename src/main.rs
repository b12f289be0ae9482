//! The callqa binary: parse arguments, run the subcommand, exit with its code.

use callqa::cli::{Cli, Command, ModelCommand};
use callqa::commands::{analyze, merge, model, report, rules, scan};
use callqa::escape::terminal;
use callqa::exit_codes::ExitCode;

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => analyze::run(&args.into_config()?),
        Command::Merge(args) => merge::run(&args.into_config()?),
        Command::Scan(args) => scan::run(&args.into_config()?),
        Command::Rules(cmd) => rules::run(&cmd.into_config()?),
        Command::Model(ModelCommand::Fetch { name }) => model::fetch(&name),
        Command::Model(ModelCommand::Import { ct2_dir, output }) => {
            model::import(&ct2_dir, &output)
        }
        Command::Model(ModelCommand::List) => model::list(),
        Command::Report(args) => report::run(&args.into_config()?),
    }
}

fn main() {
    let cli = callqa::cli::parse_args();
    let code = match run(cli) {
        Ok(code) => code,
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
