//! Zed starts only the language servers an extension declares: this one runs
//! `leaklint server` from the PATH of the project's shell environment.

use zed_extension_api::{self as zed, LanguageServerId, Result};

struct LeaklintExtension;

impl zed::Extension for LeaklintExtension {
    fn new() -> Self {
        LeaklintExtension
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let command = worktree.which("leaklint").ok_or_else(|| {
            "leaklint is not on PATH: install it (pipx install leaklint)".to_string()
        })?;
        Ok(zed::Command {
            command,
            args: vec!["server".to_string()],
            env: worktree.shell_env(),
        })
    }
}

zed::register_extension!(LeaklintExtension);
