//! Sandbox init for the sandbox crate's own tests (the server runs the same code as
//! `stratus __stratus-sandbox-init`).

fn main() {
    stratus_sandbox::init_main()
}
