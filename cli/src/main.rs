//! The `kubesmith` binary.

fn main() -> std::process::ExitCode {
    kubesmith_cli::command::main()
}
