//! The `kubesmith` CLI, built into this package so that its tests can run the binary
//! (`CARGO_BIN_EXE_kubesmith-under-test`), e.g. as the `KUBESMITH` of a scaffold's Makefile.

fn main() -> std::process::ExitCode {
    kubesmith_cli::command::main()
}
