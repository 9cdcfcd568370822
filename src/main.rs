use clap::Parser;
use crm_workbench::cli::{self, Cli};
use crm_workbench::Error;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout as clap prints them.
        Err(e) if !e.use_stderr() => e.exit(),
        // A usage error quotes the argument it refuses: sanitised like every message.
        Err(e) => {
            cli::report_usage_error(&e.to_string());
            std::process::exit(e.exit_code());
        }
    };
    let code = match cli::run(cli) {
        Ok(code) => code,
        // `crmwb customers | head` closes the pipe early: not an error.
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            cli::report_error(&e);
            match e {
                Error::Refused(_) => 3,
                Error::Interrupted(_) => 130,
                _ => 1,
            }
        }
    };
    std::process::exit(code);
}
