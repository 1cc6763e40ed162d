"""Who holds which roles in a project: listing, adding, changing and revoking."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from kernel.errors import BadUserInput, NotFound
from kernel.raw_sql import Statement
from models import Membership, ProjectRole, User
from resolvers.governance.audit import record_event
from resolvers.listed_rows import ListedUser, row_reader
from resolvers.pagination import ListQuery, Ordering, Page, SortKey, sql_keyset_page

BY_EMAIL = Ordering(name="members", keys=(SortKey("user__email", str), SortKey("user_id", int)))
ADMIN = ProjectRole.PROJECT_ADMIN.value


@dataclass(frozen=True, slots=True)
class _MembershipColumns:
    roles: list[str]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ListedMember:
    """A membership as the members list shows it, its user read in the same statement."""

    user: ListedUser
    roles: list[str]
    created_at: datetime


async def members_page(project_id: int, first: int, after: str | None) -> Page[ListedMember]:
    connection = Membership._meta.db
    membership = row_reader(_MembershipColumns, "m", connection, 1)  # after the total
    user = row_reader(ListedUser, "u", connection, membership.end)

    def read(records: list[Any]) -> list[ListedMember]:
        members = []
        for record in records:
            columns = membership(record)
            members.append(ListedMember(user(record), columns.roles, columns.created_at))
        return members

    def constrain(sql: Statement) -> None:
        sql.where.append(f"m.project_id = {sql.bind(project_id)}")

    query = ListQuery(
        connection=connection,
        source="memberships m JOIN users u ON u.id = m.user_id",
        select=f"{membership.select}, {user.select}",
        constrain=constrain,
        ordering=BY_EMAIL,
        key_columns=("u.email", "u.id"),
        read=read,
        key_of=lambda member: (member.user.email, member.user.id),
    )
    return await sql_keyset_page(query, first, after)


async def add_member(*, actor_id: int, project_id: int, email: str, roles: list[str]) -> Membership:
    user = await User.get_or_none(email=email)
    if user is None:
        raise NotFound("No user with this email.")
    if await Membership.exists(project_id=project_id, user_id=user.id):
        raise BadUserInput("email", "this user is already a member; use setMemberRoles")
    try:
        async with in_transaction():
            membership = await Membership.create(project_id=project_id, user=user, roles=roles)
            await record_event(
                actor_id=actor_id,
                project_id=project_id,
                action="member.add",
                target=f"user:{user.id}",
                details={"email": email, "roles": roles},
            )
    except IntegrityError as error:
        if await Membership.exists(project_id=project_id, user_id=user.id):  # added concurrently
            raise BadUserInput(
                "email", "this user is already a member; use setMemberRoles"
            ) from error
        raise
    membership.user = user
    return membership


async def set_member_roles(
    *, actor_id: int, project_id: int, user_id: int, roles: list[str]
) -> Membership:
    async with in_transaction():
        membership = await _membership(project_id, user_id)
        if ADMIN in membership.roles and ADMIN not in roles:
            await _keep_an_administrator(project_id, user_id, "roles")
        before = membership.roles
        if sorted(before) == roles:  # nothing changes: nothing written, nothing recorded
            return membership
        membership.roles = roles
        await membership.save(update_fields=["roles"])
        await record_event(
            actor_id=actor_id,
            project_id=project_id,
            action="member.set_roles",
            target=f"user:{user_id}",
            details={"before": before, "after": roles},
        )
    return membership


async def remove_member(*, actor_id: int, project_id: int, user_id: int) -> bool:
    async with in_transaction():
        membership = await _membership(project_id, user_id)
        if ADMIN in membership.roles:
            await _keep_an_administrator(project_id, user_id, "userId")
        await membership.delete()
        await record_event(
            actor_id=actor_id,
            project_id=project_id,
            action="member.remove",
            target=f"user:{user_id}",
            details={"roles": membership.roles},
        )
    return True


async def _membership(project_id: int, user_id: int) -> Membership:
    # Locked alone: PostgreSQL cannot lock the nullable side of the join select_related makes.
    membership = (
        await Membership.filter(project_id=project_id, user_id=user_id).select_for_update().first()
    )
    if membership is None:
        raise NotFound("This user is not a member of the project.")
    await membership.fetch_related("user")
    return membership


async def _keep_an_administrator(project_id: int, leaving_user_id: int, argument: str) -> None:
    """Refuse to leave a project that had administrators with none."""
    others = await Membership.filter(project_id=project_id).exclude(user_id=leaving_user_id)
    if not any(ADMIN in m.roles for m in others):
        raise BadUserInput(argument, "a project must keep at least one PROJECT_ADMIN")
