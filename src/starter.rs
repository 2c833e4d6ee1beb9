//! Starter plans for `perfplan init`: commented, and valid as written.

use crate::spec::Tool;

/// A starter plan and the script it references.
pub struct Starter {
    pub plan: String,
    pub script_path: &'static str,
    pub script: &'static str,
}

pub fn starter(tool: Tool) -> Starter {
    let (body, script_path, script) = match tool {
        Tool::K6 => (
            include_str!("starter/k6.yaml"),
            "scripts/test.js",
            include_str!("starter/test.js"),
        ),
        Tool::Jmeter => (
            include_str!("starter/jmeter.yaml"),
            "scripts/test.jmx",
            include_str!("starter/test.jmx"),
        ),
        Tool::Gatling => (
            include_str!("starter/gatling.yaml"),
            "scripts/StarterSimulation.scala",
            include_str!("starter/StarterSimulation.scala"),
        ),
    };
    Starter {
        plan: format!("{HEADER}{body}"),
        script_path,
        script,
    }
}

/// The schema file `init` writes beside the plan, which the modeline names: a local
/// path resolves offline, where a URL perfplan does not publish never would (and a
/// modeline overrides any schema an editor is configured with).
pub const SCHEMA_FILE: &str = "perfplan.schema.json";

/// The plan file `perfplan init` writes; `schema/catalog.json` matches it, so editors
/// that read the SchemaStore catalog check it without the modeline.
pub const PLAN_FILE: &str = "perfplan.yaml";

const HEADER: &str = "\
# yaml-language-server: $schema=./perfplan.schema.json
# A perfplan: validate with `perfplan validate perfplan.yaml`,
# compile with `perfplan compile perfplan.yaml | kubectl apply -f -`.
perfplan: v1
";
