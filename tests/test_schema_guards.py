"""Every root field and every resolver on the protected types asks the policy.

Like Phoenix's ensure_graphql_mutations_have_permission_classes, but over the built schema:
a new field without a permission class fails here, before it reaches a client.
"""

from strawberry.permission import PermissionExtension
from strawberry.types.base import get_object_definition

from schema import build_schema
from schema.permissions import (
    GatewayPermission,
    OwnedByProjectPermission,
    PlatformPermission,
    ProjectArgumentPermission,
    ProjectPermission,
)

# Plain data of a Project the viewer already reached through a guarded field.
UNGUARDED_PROJECT_FIELDS = {"id", "name", "description", "created_at"}
GUARDS = (
    PlatformPermission,
    ProjectPermission,
    ProjectArgumentPermission,
    OwnedByProjectPermission,
    GatewayPermission,
)


def guards_of(field: object) -> list[object]:
    return [
        permission
        for extension in getattr(field, "extensions", [])
        if isinstance(extension, PermissionExtension)
        for permission in extension.permissions
        if isinstance(permission, GUARDS)
    ]


def test_every_root_field_is_guarded() -> None:
    schema = build_schema()
    for root in (schema.query, schema.mutation):
        definition = get_object_definition(root, strict=True)
        unguarded = [f.name for f in definition.fields if not guards_of(f)]
        assert unguarded == [], f"{definition.name} fields without a permission: {unguarded}"


def test_every_project_field_beyond_plain_data_is_guarded() -> None:
    from schema.project import Project

    definition = get_object_definition(Project, strict=True)
    unguarded = [
        f.python_name
        for f in definition.fields
        if f.python_name not in UNGUARDED_PROJECT_FIELDS and not guards_of(f)
    ]
    assert unguarded == []


def test_project_plain_fields_have_no_resolvers() -> None:
    from schema.project import Project

    definition = get_object_definition(Project, strict=True)
    with_resolvers = [
        f.python_name
        for f in definition.fields
        if f.python_name in UNGUARDED_PROJECT_FIELDS and f.base_resolver is not None
    ]
    assert with_resolvers == []
