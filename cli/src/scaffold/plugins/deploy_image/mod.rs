//! `deploy-image.kubesmith.dev/v1-alpha`: a Kind whose controller runs a container image as a
//! Deployment — kubebuilder's deploy-image plugin. `create api --plugins deploy-image --image
//! memcached:1.6 --image-container-port 11211 --run-as-user 1001` scaffolds the Kind with a
//! `size` and a `containerPort`, a controller that owns the operand Deployment (replicas from
//! `size`, the image from the manager's environment or the scaffold's default, a restricted
//! security context), reports `Available`, `Progressing` and `Degraded` conditions and events,
//! and keeps a finalizer for cleanup, and a controller test that creates, scales and reports
//! it against envtest. Its templates are the step `deploy-image`.

use clap::{ArgMatches, Args, Command, FromArgMatches};
use serde_json::{Value, json};

use super::plugin::{Plugin, Scope};
use crate::scaffold::engine::plan::{Mode, Plan};
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::project::Resource;
use crate::scaffold::model::vars::ResourceVars;

/// The deploy-image plugin.
#[derive(Debug, Clone, Copy)]
pub struct DeployImage;

/// Its flags on `create api`.
#[derive(Debug, Clone, Default, Args)]
pub struct DeployImageArgs {
    /// deploy-image: the image the controller runs (e.g. memcached:1.6).
    #[arg(long)]
    pub image: Option<String>,
    /// deploy-image: the port the container listens on.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub image_container_port: Option<u16>,
    /// deploy-image: the container's command, comma-separated (e.g. memcached,-m=64,-v).
    #[arg(long)]
    pub image_container_command: Option<String>,
    /// deploy-image: the user the container runs as (not 0: the pod runs as non-root).
    #[arg(long)]
    pub run_as_user: Option<u32>,
}

impl DeployImageArgs {
    /// The options PROJECT records: `image`, and `containerPort`, `containerCommand`,
    /// `runAsUser` when given.
    pub fn options(&self) -> Result<Value, ScaffoldError> {
        let image = self.image.as_deref().ok_or_else(|| {
            ScaffoldError::Usage(
                "the deploy-image plugin needs the image to run: pass --image (e.g. --image memcached:1.6)".into(),
            )
        })?;
        check_image(image)?;
        let mut options = json!({ "image": image });
        if let Some(port) = self.image_container_port {
            options["containerPort"] = json!(port);
        }
        if let Some(command) = &self.image_container_command {
            if command
                .split(',')
                .any(|part| part.trim().is_empty() || part.contains(['"', '\\']))
            {
                return Err(ScaffoldError::InvalidName {
                    what: "--image-container-command".into(),
                    value: command.clone(),
                    expected: "the command and its arguments, comma-separated, none empty and without quotes or backslashes (memcached,-m=64,-v)".into(),
                });
            }
            options["containerCommand"] = json!(command);
        }
        if let Some(user) = self.run_as_user {
            if user == 0 {
                return Err(ScaffoldError::Usage(
                    "--run-as-user 0 is root, and the operand's pod runs as non-root (the restricted Pod Security level): pass another user id, or leave it to the image".into(),
                ));
            }
            options["runAsUser"] = json!(user);
        }
        Ok(options)
    }
}

/// Refuses an image reference with characters no registry accepts.
fn check_image(image: &str) -> Result<(), ScaffoldError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "./:@_-".contains(c);
    if image.is_empty() || !image.chars().all(allowed) || image.starts_with(['.', '-', ':', '@']) {
        return Err(ScaffoldError::InvalidName {
            what: "--image".into(),
            value: image.to_string(),
            expected: "an image reference such as memcached:1.6 or registry.example.com/team/app@sha256:<digest>".into(),
        });
    }
    Ok(())
}

impl Plugin for DeployImage {
    fn name(&self) -> &'static str {
        "deploy-image"
    }

    fn key(&self) -> &'static str {
        "deploy-image.kubesmith.dev/v1-alpha"
    }

    fn summary(&self) -> &'static str {
        "a Kind whose controller runs an image as a Deployment"
    }

    fn scope(&self) -> Scope {
        Scope::Api
    }

    fn api_args(&self, command: Command) -> Command {
        DeployImageArgs::augment_args(command)
    }

    fn api_options(&self, matches: &ArgMatches) -> Result<Value, ScaffoldError> {
        DeployImageArgs::from_arg_matches(matches)
            .map_err(|error| ScaffoldError::Usage(error.to_string()))?
            .options()
    }

    fn check_api(&self, resource: &Resource) -> Result<(), ScaffoldError> {
        if resource.api.as_ref().is_some_and(|api| !api.namespaced) {
            return Err(ScaffoldError::Usage(format!(
                "the deploy-image plugin runs {}'s Deployment in the {} namespace, so {} must be namespaced: drop --namespaced=false",
                resource.kind, resource.kind, resource.kind
            )));
        }
        Ok(())
    }

    fn create_api(
        &self,
        plan: &mut Plan<'_>,
        resource: &ResourceVars,
        options: &Value,
    ) -> Result<(), ScaffoldError> {
        let mut data = serde_json::to_value(resource).map_err(|error| ScaffoldError::Template {
            template: "deploy-image".into(),
            reason: error.to_string(),
        })?;
        let command: Vec<&str> = options["containerCommand"]
            .as_str()
            .map(|command| command.split(',').map(str::trim).collect())
            .unwrap_or_default();
        data["image"] = options["image"].clone();
        data["image_env"] = json!(format!("{}_IMAGE", resource.kind.to_ascii_uppercase()));
        data["container_port"] = options["containerPort"].clone();
        data["container_command"] = json!(command);
        data["run_as_user"] = options["runAsUser"].clone();
        plan.step("deploy-image", &data, Mode::Create)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_and_recorded_as_given() {
        let args = DeployImageArgs {
            image: Some("memcached:1.6".into()),
            image_container_port: Some(11211),
            image_container_command: Some("memcached,-m=64,-v".into()),
            run_as_user: Some(1001),
        };
        assert_eq!(
            args.options().expect("options"),
            json!({"image": "memcached:1.6", "containerPort": 11211, "containerCommand": "memcached,-m=64,-v", "runAsUser": 1001})
        );
        let root = DeployImageArgs {
            run_as_user: Some(0),
            ..args.clone()
        };
        assert!(root.options().is_err());
        let blank = DeployImageArgs {
            image_container_command: Some("memcached,,-v".into()),
            ..args.clone()
        };
        assert!(blank.options().is_err());
        for image in ["", "memcached 1.6", "-x", "a;b"] {
            let bad = DeployImageArgs {
                image: Some(image.into()),
                ..args.clone()
            };
            assert!(bad.options().is_err(), "{image:?}");
        }
        assert!(DeployImageArgs::default().options().is_err());
    }
}
