"""{{name}}: a Seamless stage plugin in Python, built with componentize-py.

It runs `script` (from the stage's `[stage.with]`, default: print the service's name)
in the service's image, with the workspace mounted read-only, and passes the stage
when the script exits with 0.
"""

import wit_world
from componentize_py_types import Err
from wit_world.imports import containers, log, run_info
from wit_world.imports.types import (
    Capability_Containers,
    Context,
    KeyValue,
    Manifest,
    Outcome,
    StageError_Failed,
    StageError_Host,
)


def config(context: Context, key: str) -> str | None:
    """The value of `key` in the stage's `[stage.with]` table, if it is set."""
    for pair in context.config:
        if pair.key == key:
            return pair.value
    return None


class WitWorld(wit_world.WitWorld):
    """The `{{name}}` plugin."""

    def describe(self) -> Manifest:
        # Keep these capabilities equal to [capabilities] in plugin.toml.
        return Manifest(
            name="{{name}}",
            version="0.1.0",
            description="{{description}}",
            capabilities=[Capability_Containers()],
        )

    def run(self, context: Context) -> Outcome:
        info = run_info.current()
        service = info.service.name
        greeting = config(context, "greeting") or "hello"
        log.write(log.Level.INFO, f"{{name}}: {greeting} from {service}")
        script = config(context, "script") or 'echo "checking $SERVICE"'
        spec = containers.ContainerSpec(
            image=info.service.image,
            command=["sh", "-c", script],
            env=[KeyValue(key="SERVICE", value=service)],
            secret_env=[],
            workdir=info.service.path,
            mount_workspace=True,
            network=None,
            healthcheck=None,
        )
        try:
            code = containers.wait(containers.run(spec))
        except Err as e:
            raise Err(StageError_Host(e.value))
        if code != 0:
            raise Err(StageError_Failed(f"{{name}}: the script exited with code {code}"))
        return Outcome(summary=f"{{name}} passed for {service}", tests=None)
