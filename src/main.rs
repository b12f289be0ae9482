//! The callqa binary: parse arguments, run the subcommand, exit with its code.

use callqa::cli::{Cli, Command, ModelCommand};
use callqa::commands;
use callqa::scan_command;

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Analyze(args) => commands::analyze(&args.into_config()?),
        Command::Scan(args) => scan_command::scan(&args.into_config()?),
        Command::Rules(cmd) => scan_command::rules(&cmd.into_config()?),
        Command::Model(ModelCommand::Fetch { name }) => commands::model_fetch(&name),
        Command::Model(ModelCommand::Import { ct2_dir, output }) => {
            commands::model_import(&ct2_dir, &output)
        }
        Command::Model(ModelCommand::List) => commands::model_list(),
        Command::Report(args) => commands::report(&args.into_config()?),
    }
}

fn main() {
    let cli = callqa::cli::parse_args();
    match run(cli) {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::exit(1);
        }
    }
}
