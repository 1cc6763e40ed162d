# Comptroller's authorization rules: every decision the service takes comes from here.
#
# The application hands Polar plain facts (a user's role names per project, a client's
# project id), loaded once per request, so no rule does I/O. Anything not granted below is
# denied.

allow(actor, action, resource) if has_permission(actor, action, resource);

actor User {}
actor ApiClient {}

# What is not scoped to one project: which surface an actor may use at all, and the
# operator's catalogue work.
resource Platform {
  permissions = [
    "use_console",     # the GraphQL surface for people: viewer, projects, governance
    "use_gateway",     # the surface for API clients: recordRequests, admission
    "list_all_projects",
    "create_project",
    "create_user",
    "create_model",
    "update_model"     # a model's aliases
  ];
}

has_permission(_user: User, "use_console", _platform: Platform);
has_permission(_client: ApiClient, "use_gateway", _platform: Platform);
has_permission(user: User, action: String, _platform: Platform) if
  user.is_superuser = true and
  action in ["list_all_projects", "create_project", "create_user", "create_model", "update_model"];

resource Project {
  permissions = [
    # ASSISTANT_USER: the frontend
    "read",                    # the project's name, description, the viewer's own roles
    "read_active_assistants",
    # PROJECT_MEMBER: the backoffice
    "read_all_assistants",
    "create_assistant",
    "update_assistant",
    "read_requests",
    "read_usage",              # usage, tokenUsage, budget
    "read_api_tokens",
    "create_api_token",
    "revoke_api_token",
    # PROJECT_ADMIN: governance
    "read_members",
    "manage_members",
    "read_settings",
    "update_settings",
    "read_user_activity",
    "read_audit_log",
    # API clients of the project
    "record_requests",
    "check_admission"
  ];
  roles = ["ASSISTANT_USER", "PROJECT_MEMBER", "PROJECT_ADMIN"];

  "read" if "ASSISTANT_USER";
  "read_active_assistants" if "ASSISTANT_USER";

  "read" if "PROJECT_MEMBER";
  "read_active_assistants" if "PROJECT_MEMBER";
  "read_all_assistants" if "PROJECT_MEMBER";
  "create_assistant" if "PROJECT_MEMBER";
  "update_assistant" if "PROJECT_MEMBER";
  "read_requests" if "PROJECT_MEMBER";
  "read_usage" if "PROJECT_MEMBER";
  "read_api_tokens" if "PROJECT_MEMBER";
  "create_api_token" if "PROJECT_MEMBER";
  "revoke_api_token" if "PROJECT_MEMBER";

  # An administrator is a member with governance on top.
  "PROJECT_MEMBER" if "PROJECT_ADMIN";
  "read_members" if "PROJECT_ADMIN";
  "manage_members" if "PROJECT_ADMIN";
  "read_settings" if "PROJECT_ADMIN";
  "update_settings" if "PROJECT_ADMIN";
  "read_user_activity" if "PROJECT_ADMIN";
  "read_audit_log" if "PROJECT_ADMIN";
}

has_role(user: User, role: String, project: Project) if
  role in user.roles_in(project.id);

# The platform operator acts as an administrator of every project.
has_role(user: User, "PROJECT_ADMIN", _project: Project) if
  user.is_superuser = true;

# An API client reports into, and asks admission of, its own project only.
has_permission(client: ApiClient, "record_requests", project: Project) if
  client.project_id = project.id;
has_permission(client: ApiClient, "check_admission", project: Project) if
  client.project_id = project.id;
