//! What a registry's client said, read for the one answer that changes what
//! `pin` does: "that version is not published". Anything else (a network
//! error, an unreadable index, a registry that refuses) is an error to show
//! in the registry's own words, never taken for "not published".

/// pip said the version does not exist: no matching distribution, while
/// the index listed the versions it has. `(from versions: none)` is what
/// pip says when it could not read the index at all, so it is not that.
pub fn pip_unpublished(error: &anyhow::Error) -> bool {
    let text = format!("{error:#}");
    text.contains("No matching distribution found")
        && text.contains("(from versions: ")
        && !text.contains("(from versions: none)")
}

/// npm said the version (or the package) does not exist.
pub fn npm_unpublished(error: &anyhow::Error) -> bool {
    let text = format!("{error:#}");
    text.contains("code ETARGET") || text.contains("code E404")
}

/// pip refused a download whose hash is not the locked one.
pub fn pip_hash_mismatch(error: &anyhow::Error) -> bool {
    format!("{error:#}").contains("DO NOT MATCH THE HASHES")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::anyhow;

    #[test]
    fn only_the_registrys_own_no_is_not_published() {
        let missing = anyhow!(
            "pip download failed; its output:\n    ERROR: Could not find a version that satisfies the requirement openai-codex==9.9.9 (from versions: 0.144.4, 0.163.0)\n    ERROR: No matching distribution found for openai-codex==9.9.9"
        );
        let offline = anyhow!(
            "pip download failed; its output:\n    ERROR: Could not find a version that satisfies the requirement openai-codex==0.163.0 (from versions: none)\n    ERROR: No matching distribution found for openai-codex==0.163.0"
        );
        assert!(pip_unpublished(&missing));
        assert!(!pip_unpublished(&offline));
        assert!(npm_unpublished(&anyhow!(
            "npm error code ETARGET\nnpm error notarget No matching version found"
        )));
        assert!(!npm_unpublished(&anyhow!("npm error code ECONNREFUSED")));
        assert!(pip_hash_mismatch(&anyhow!(
            "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."
        )));
        assert!(!pip_hash_mismatch(&offline));
    }
}
