"""`entra-crosstenant export`: bring an existing tenant's cross-tenant configuration under code.

It reads one tenant's partner configurations, identity-sync policies and tenant-wide default
(and with `--source`, a source tenant's sync configurations with their jobs and users and groups
in scope) from Microsoft Graph and writes a ready Pulumi project (Pulumi.yaml, __main__.py,
Pulumi.<stack>.yaml) that declares each object as the tenant holds it, to be taken over
(`adopt_existing=True`), so that the first `pulumi up` takes everything over without a write.
`pulumi import` cannot adopt dynamic resources (pulumi/pulumi#16175); this is the way in. See
docs/export.md.

    entra-crosstenant export --out infra/tenant [--source source]
"""

from entra_crosstenant.export.command import add_parser, configure, main, run

__all__ = ["add_parser", "configure", "main", "run"]
