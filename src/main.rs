fn main() {
    std::process::exit(veriff_tui::cli::main());
}
