// Works a complaint through flowlab with a client generated from
// /api/v1/openapi.json (openapi-typescript types + openapi-fetch), as an
// integrator's system would. Exits non-zero on the first surprise.
import createClient from "openapi-fetch";
import type { paths, components } from "./schema.js";

type Task = components["schemas"]["Task"];

const server = process.env.FLOWLAB_SERVER;
const adminToken = process.env.FLOWLAB_TOKEN;
if (!server || !adminToken) {
  throw new Error("set FLOWLAB_SERVER and FLOWLAB_TOKEN");
}

function client(token: string) {
  return createClient<paths>({ baseUrl: server, headers: { Authorization: `Bearer ${token}` } });
}

function check(cond: unknown, what: string): asserts cond {
  if (!cond) {
    throw new Error(`smoke: ${what}`);
  }
}

const admin = client(adminToken);

async function staff(department: string): Promise<ReturnType<typeof client>> {
  const { data, error } = await admin.POST("/api/v1/tokens", {
    body: { name: `ts smoke ${department}`, role: "staff", departments: [department] },
  });
  check(data && !error, `create token for ${department}: ${JSON.stringify(error)}`);
  return client(data.token);
}

async function openTask(c: ReturnType<typeof client>, caseId: string): Promise<Task> {
  for (let i = 0; i < 100; i++) {
    const { data, error } = await c.GET("/api/v1/tasks", { params: { query: { case_id: caseId, status: "open" } } });
    check(data && !error, `list tasks: ${JSON.stringify(error)}`);
    if (data.tasks.length === 1) {
      return data.tasks[0];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`smoke: case ${caseId} has no open task`);
}

function formData(t: Task): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  for (const f of t.form ?? []) {
    d[f.name] = f.type === "number" ? 100 : f.type === "bool" ? true : f.type === "enum" ? (f.options ?? [])[0] : "smoke";
  }
  return d;
}

const flows = await admin.GET("/api/v1/flows", {});
check(flows.data?.flows.some((f) => f.key === "complaint"), "the complaint flow is listed");

const agents: Record<string, ReturnType<typeof client>> = {};
for (const dep of ["customer_service", "technical"]) {
  agents[dep] = await staff(dep);
}

const created = await agents.customer_service.POST("/api/v1/cases", {
  body: { flow: "complaint", customer: "TS-1", channel: "app", attributes: { product: "router" } },
  params: { header: { "Idempotency-Key": `ts-smoke-${Date.now()}` } },
});
check(created.data && created.response.status === 201, `start case: ${created.response.status} ${JSON.stringify(created.error)}`);
const caseId = created.data.id;

// Search by customer and attribute (decision 0026), typed; a task in a
// list names its case's customer and channel.
const found = await admin.GET("/api/v1/cases", { params: { query: { customer: "TS-1", attr: ["product:router"] } } });
check(found.data?.cases.some((c) => c.id === caseId), `search by customer and attribute: ${JSON.stringify(found.error)}`);
const badSearch = await admin.GET("/api/v1/cases", { params: { query: { attr: ["product"] } } });
check(badSearch.response.status === 400 && badSearch.error?.errors?.[0]?.field === "attr", `a malformed attr is a 400 naming it, got ${badSearch.response.status}`);

// A department may not complete another's task: a typed problem+json error.
let task = await openTask(admin, caseId);
check(task.customer === "TS-1" && task.channel === "app", `a listed task names its case's customer and channel: ${task.customer}, ${task.channel}`);
const refused = await agents.technical.POST("/api/v1/tasks/{id}/complete", {
  params: { path: { id: task.id } },
  body: { outcome: task.outcomes[0], data: formData(task) },
});
check(refused.response.status === 403 && refused.error?.status === 403, `wrong department gets 403, got ${refused.response.status}`);

for (let steps = 0; steps < 10; steps++) {
  const agent = agents[task.department];
  check(agent, `no agent for department ${task.department}`);
  const claimed = await agent.POST("/api/v1/tasks/{id}/claim", { params: { path: { id: task.id } } });
  check(claimed.data?.assignee, `claim ${task.step}: ${JSON.stringify(claimed.error)}`);
  const done = await agent.POST("/api/v1/tasks/{id}/complete", {
    params: { path: { id: task.id } },
    body: { outcome: task.outcomes[0], data: formData(task) },
  });
  check(done.data, `complete ${task.step}: ${JSON.stringify(done.error)}`);
  console.log(`completed ${task.step} (${task.department}) -> ${done.data.next.map((t) => t.step).join(", ") || done.data.case_status}`);
  if (done.data.case_status === "completed") {
    break;
  }
  task = done.data.next[0];
}

const detail = await admin.GET("/api/v1/cases/{id}", { params: { path: { id: caseId } } });
check(detail.data?.status === "completed", `case completed, got ${detail.data?.status}`);
const bottlenecks = await admin.GET("/api/v1/flows/{key}/bottlenecks", { params: { path: { key: "complaint" } } });
check(bottlenecks.data && bottlenecks.data.steps.filter((s) => s.bottleneck).length === 1, "one bottleneck step");
console.log(`ok: case ${caseId} completed through the generated client; bottleneck: ${bottlenecks.data.steps.find((s) => s.bottleneck)?.step}`);
