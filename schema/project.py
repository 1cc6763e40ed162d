"""The Project type: the hub of everything a project's people may see."""

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from models import Project as ProjectRow
from resolvers.alerts.listing import attempts_of, deliveries_page
from resolvers.arguments import BIG_ID_MAX, page_size, parse_id
from resolvers.budgets.months import BudgetMonth, month_of, parse_month
from resolvers.budgets.spend import cached_spend
from resolvers.budgets.status import budget_status
from resolvers.dashboards.usage import UsageReport
from resolvers.dashboards.user_activity import UserActivityReport
from resolvers.governance.api_tokens import list_api_tokens
from resolvers.governance.assistants import list_assistants
from resolvers.governance.audit import audit_page
from resolvers.governance.members import members_page
from resolvers.governance.projects import project_settings
from resolvers.listed_rows import ListedProject
from resolvers.request_log import LazyRequestPage, Relations, request_by_id
from schema.api_token import ApiToken
from schema.assistant import Assistant
from schema.audit_event import AuditEvent, AuditLogFilter
from schema.budget import BudgetStatus
from schema.connections import Connection, PageAfter, PageSize
from schema.context import Info
from schema.dashboard_inputs import RangeArgument, TimeRange, UsageFilterArgument, UsageFilterInput
from schema.enums import AssistantStatus, ProjectRole
from schema.instants import as_utc
from schema.membership import Membership
from schema.permissions import project
from schema.project_settings import ProjectSettings
from schema.request import Request, RequestConnection
from schema.request_filter import RequestFilterInput
from schema.selections import selected_below
from schema.usage import ProjectUsage, TokenUsage
from schema.user_activity import UserActivity
from schema.webhook_delivery import WebhookDelivery, WebhookDeliveryStatus


@strawberry.type(
    name="Project",
    description="A project: its assistants, requests, dashboards and governance. Any role "
    "reads id, name, description and the viewer's roles; each other field says who may.",
)
class Project:
    # Reaching a Project at all took the "read" permission; these plain fields need no more.
    id: strawberry.ID = strawberry.field(description="The project's id.")
    name: str = strawberry.field(description="Its name, 1..200 characters.")
    description: str | None = strawberry.field(description="What it is for; null = none.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    row_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: ProjectRow | ListedProject) -> "Project":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            created_at=as_utc(row.created_at),
            row_id=row.id,
        )

    @strawberry.field(extensions=project("read"), description="The roles the viewer holds here.")
    def viewer_roles(self, info: Info) -> list[ProjectRole]:
        return info.context.authorizer.roles_in(self.row_id)

    @strawberry.field(
        extensions=project("read"), description="Actions the viewer may take on this project."
    )
    def viewer_permissions(self, info: Info) -> list[str]:
        return sorted(info.context.authorizer.project_actions(self.row_id))

    @strawberry.field(
        extensions=project("read_settings"),
        description="PROJECT_ADMIN: security and cost settings.",
    )
    async def settings(self) -> ProjectSettings:
        return ProjectSettings.from_model(await project_settings(self.row_id))

    @strawberry.field(
        extensions=project("read_members"), description="PROJECT_ADMIN: members, by email."
    )
    async def members(
        self,
        first: PageSize = 50,
        after: PageAfter = None,
    ) -> Connection[Membership]:
        page = await members_page(self.row_id, page_size(first), after)
        return Connection.from_page(page, Membership.from_model)

    @strawberry.field(
        extensions=project("read_active_assistants"),
        description="PROJECT_MEMBER sees every assistant; ASSISTANT_USER the active ones.",
    )
    async def assistants(
        self,
        info: Info,
        status: Annotated[
            AssistantStatus | None,
            strawberry.argument(description="Only assistants with this status; null = any."),
        ] = None,
    ) -> list[Assistant]:
        active_only = not info.context.authorizer.can(self.row_id, "read_all_assistants")
        rows = await list_assistants(self.row_id, status, active_only)
        return [Assistant.from_model(row) for row in rows]

    @strawberry.field(
        extensions=project("read_api_tokens"),
        description="PROJECT_MEMBER: the project's API tokens, newest first.",
    )
    async def api_tokens(self) -> list[ApiToken]:
        return [ApiToken.from_model(row) for row in await list_api_tokens(self.row_id)]

    @strawberry.field(
        extensions=project("read_requests"),
        description="PROJECT_MEMBER: the request log, newest first, keyset-paged.",
    )
    async def requests(
        self,
        info: Info,
        filter: Annotated[
            RequestFilterInput | None,
            strawberry.argument(description="Only the requests matching every field given."),
        ] = None,
        first: PageSize = 50,
        after: PageAfter = None,
    ) -> RequestConnection:
        filters = (filter or RequestFilterInput()).validated()
        node = selected_below(info, "edges", "node")
        relations = Relations(api_token="apiToken" in node, user="user" in node)
        return RequestConnection(
            page=LazyRequestPage(self.row_id, filters, page_size(first), after, relations)
        )

    @strawberry.field(
        extensions=project("read_requests"),
        description="PROJECT_MEMBER: one request, input and output included; NOT_FOUND if absent.",
    )
    async def request(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="The request's id.")]
    ) -> Request | None:
        return Request.from_model(await request_by_id(self.row_id, parse_id(id, "id", BIG_ID_MAX)))

    @strawberry.field(
        extensions=project("read_usage"),
        description="PROJECT_MEMBER: cost, requests, errors and durations over a period.",
    )
    async def usage(
        self,
        info: Info,
        range: RangeArgument,
        filter: UsageFilterArgument = None,
    ) -> ProjectUsage:
        return ProjectUsage(report=await self._usage_report(info, range, filter))

    @strawberry.field(
        extensions=project("read_usage"),
        description="PROJECT_MEMBER: input and output tokens over a period.",
    )
    async def token_usage(
        self,
        info: Info,
        range: RangeArgument,
        filter: UsageFilterArgument = None,
    ) -> TokenUsage:
        return TokenUsage(report=await self._usage_report(info, range, filter))

    @strawberry.field(
        extensions=project("read_user_activity"),
        description="PROJECT_ADMIN: per-user figures over a period.",
    )
    async def user_activity(
        self,
        info: Info,
        range: RangeArgument,
        filter: UsageFilterArgument = None,
    ) -> UserActivity:
        filters = (filter or UsageFilterInput()).validated()
        window = range.validated((await project_settings(self.row_id)).timezone)
        report = UserActivityReport(self.row_id, filters, window, info.context.aggregator)
        return UserActivity(report=report)

    async def _usage_report(
        self, info: Info, range: TimeRange, filter: UsageFilterInput | None
    ) -> UsageReport:
        filters = (filter or UsageFilterInput()).validated()
        window = range.validated((await project_settings(self.row_id)).timezone)
        return UsageReport(self.row_id, filters, window, info.context.aggregator)

    @strawberry.field(
        extensions=project("read_usage"),
        description="The budget month: the current one by default, or month (YYYY-MM), both "
        "in the project's time zone.",
    )
    async def budget(
        self,
        info: Info,
        month: Annotated[
            str | None,
            strawberry.argument(description="A month as YYYY-MM; absent: the current one."),
        ] = None,
    ) -> BudgetStatus:
        asked = None if month is None else parse_month(month, "UTC")  # before any read
        settings = await project_settings(self.row_id)
        now = datetime.now(UTC)
        chosen = (
            month_of(now, settings.timezone)
            if asked is None
            else BudgetMonth(asked.year, asked.month, settings.timezone)
        )
        status = await budget_status(settings, chosen, now, cached_spend(info.context.aggregator))
        return BudgetStatus.from_status(status)

    @strawberry.field(
        extensions=project("read_audit_log"),
        description="PROJECT_ADMIN: changes to the project, newest first; filter by action, "
        "actor or time range.",
    )
    async def audit_log(
        self,
        first: PageSize = 50,
        after: PageAfter = None,
        filter: Annotated[
            AuditLogFilter | None,
            strawberry.argument(description="Which events; absent: all of them."),
        ] = None,
    ) -> Connection[AuditEvent]:
        filters = (filter or AuditLogFilter()).validated()
        page = await audit_page(self.row_id, page_size(first), after, filters)
        return Connection.from_page(page, AuditEvent.from_model)

    @strawberry.field(
        extensions=project("read_settings"),
        description="Budget alerts sent to the webhook, newest first, with every attempt.",
    )
    async def webhook_deliveries(
        self,
        first: PageSize = 50,
        after: PageAfter = None,
        status: Annotated[
            WebhookDeliveryStatus | None,
            strawberry.argument(description="Only deliveries in this state; absent: all."),
        ] = None,
    ) -> Connection[WebhookDelivery]:
        size = page_size(first)
        page = await deliveries_page(
            self.row_id, size, after, None if status is None else status.name
        )
        attempts = await attempts_of([row.id for row in page.rows])
        return Connection.from_page(
            page, lambda row: WebhookDelivery.from_model(row, attempts[row.id])
        )
