// Exercises the typed client against a live server: sign-up, today's checklist, a
// regret and its tick, and a follow. Usage: node dist/smoke.js http://127.0.0.1:8000
// Exits non-zero, naming the step, on any unexpected answer.
import { apiClient, localDatetime } from "./client.js";

const baseUrl = process.argv[2] ?? process.env.RR_BASE_URL ?? "http://127.0.0.1:8000";
const suffix = `${process.pid}_${Date.now() % 100000}`;

function check(step: string, condition: boolean, detail: unknown): void {
  if (!condition) {
    console.error(`FAILED ${step}:`, JSON.stringify(detail));
    process.exit(1);
  }
  console.log(`ok ${step}`);
}

async function signUp(username: string) {
  const { data, error, response } = await apiClient(baseUrl).POST("/auth/user/", {
    body: { username, password: "a sturdy passphrase 42" },
  });
  check(`sign-up ${username}`, response.status === 201 && data !== undefined, error ?? response.status);
  return data!;
}

const me = await signUp(`ts_client_${suffix}`);
const friend = await signUp(`ts_friend_${suffix}`);
const api = apiClient(baseUrl, me.tokens.access);

const today = await api.POST("/api/checklists/", { body: { local_datetime: localDatetime() } });
check("today's checklist", today.response.status === 201 && today.data?.score === 1, today.error);
const checklistId = today.data!.id;

const added = await api.POST("/api/checklists/{checklist_id}/regrets/", {
  params: { path: { checklist_id: checklistId } },
  body: { description: "Call my mother" },
});
check("add a regret", added.response.status === 201, added.error);

const tickPath = { checklist_id: checklistId, regret_id: added.data!.id };
const tick = await api.PATCH("/api/checklists/{checklist_id}/regrets/{regret_id}/", {
  params: { path: tickPath },
  body: { success: true },
});
check("tick", tick.response.status === 200 && tick.data?.success === true && tick.data?.score === 0, tick.error);

const again = await api.PUT("/api/checklists/{checklist_id}/regrets/{regret_id}/", {
  params: { path: tickPath },
  body: { success: true },
});
check("the same tick again (a retry) is a 200", again.response.status === 200 && again.data?.score === 0, again.error);

const follow = await api.POST("/api/network/follow/{username}/", {
  params: { path: { username: friend.username } },
});
// 201 is a link, 202 a pending request (the friend approves followers): the body says which.
const followed = follow.data && "following" in follow.data ? follow.data.following : undefined;
check("follow", follow.response.status === 201 && followed?.username === friend.username, follow.error);

const twice = await api.POST("/api/network/follow/{username}/", {
  params: { path: { username: friend.username } },
});
check("follow twice is a 409 already_following", twice.response.status === 409 && twice.error?.code === "already_following", twice.error);

console.log("all steps passed");
