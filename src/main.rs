//! The callqa binary: parse arguments, run the subcommand, exit with its code.

use clap::Parser;

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
    }
}

fn main() {
    let cli = Cli::parse();
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
