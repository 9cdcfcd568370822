use clap::Parser;
use crm_workbench::cli::{self, Cli};
use crm_workbench::Error;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    let code = match cli::run(cli) {
        Ok(code) => code,
        // `crmwb customers | head` closes the pipe early: not an error.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("crmwb: {e}");
            match e {
                Error::Refused(_) => 3,
                _ => 1,
            }
        }
    };
    std::process::exit(code);
}
