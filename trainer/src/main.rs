//! `jointscope`: the researcher's command line. See `jointscope --help`.
fn main() {
    let code = match jointscope_trainer::cli::main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
