// The one door to the server: GraphQL over HTTP with the pasted token, nothing else.
const TOKEN_KEY = "comptroller.token";

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code || "INTERNAL_SERVER_ERROR";
  }
}

export function savedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// Every call is logged (view, document, variables, time, size): the benchmarks replay them.
window.comptrollerCalls = [];

export async function graphql(query, variables, view) {
  const started = performance.now();
  let reply;
  try {
    reply = await fetch("/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        authorization: `Bearer ${savedToken() || ""}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`The server could not be reached (${error.message}).`, "NETWORK");
  }
  const text = await reply.text();
  window.comptrollerCalls.push({
    view: view || null, query, variables, ms: performance.now() - started, bytes: text.length,
  });
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(`The server answered ${reply.status} without JSON.`);
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(first.message, first.extensions && first.extensions.code);
  }
  return body.data;
}

// A CSV export's address; the download itself goes through fetch so the token stays a header.
export async function downloadCsv(path, params, filename) {
  const url = `${path}?${new URLSearchParams(params)}`;
  const reply = await fetch(url, { headers: { authorization: `Bearer ${savedToken() || ""}` } });
  if (!reply.ok) {
    let message = `The export failed (${reply.status}).`;
    let code;
    try {
      const body = await reply.json();
      message = body.errors[0].message;
      code = body.errors[0].extensions.code;
    } catch {
      /* not the contract's JSON: keep the status */
    }
    throw new ApiError(message, code);
  }
  const blob = await reply.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
