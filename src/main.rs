fn main() {
    std::process::exit(heml::cli::main());
}
