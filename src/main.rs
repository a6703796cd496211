fn main() {
    std::process::exit(marina_etl::cli::main());
}
