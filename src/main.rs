fn main() {
    heml::timing::keep_freed_memory();
    std::process::exit(heml::cli::main());
}
