"""The program behind the checkpoints beside it, made by the real Pulumi CLI (v3.274.1, the
toolchain's): `pulumi up` on stack `dev` under the empty passphrase (empty_passphrase.json), on
stack `own` under PULUMI_CONFIG_PASSPHRASE=hunter2 (own_passphrase.json); stack_output.json is
`pulumi stack output --json --show-secrets` of either."""

import pulumi

pulumi.export("kubeconfig", pulumi.Output.secret("apiVersion: v1\nkind: Config\n"))
pulumi.export("registry", {"port": 5001, "password": pulumi.Output.secret("s3cret")})
pulumi.export("settings", pulumi.Output.secret({"workers": 2, "names": ["a", "b"]}))
pulumi.export("plain", "x")
