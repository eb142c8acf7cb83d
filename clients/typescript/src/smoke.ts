// Exercises the typed client against a live server: sign-up, the routine, today's checklist
// (started with the routine), a regret, its tick, undo, rewording and removal, a follow and
// the friend's inbox. Usage: node dist/smoke.js http://127.0.0.1:8000
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

const routineAdd = await api.POST("/api/routine/", { body: { description: "Stretch" } });
check("add to the routine", routineAdd.response.status === 201 && routineAdd.data?.position === 1, routineAdd.error);
const routineItem = { item_id: routineAdd.data!.id };
const renamed = await api.PATCH("/api/routine/{item_id}/", {
  params: { path: routineItem },
  body: { description: "Stretch for 5 minutes" },
});
check("rename a routine item", renamed.response.status === 200 && renamed.data?.description === "Stretch for 5 minutes", renamed.error);

const today = await api.POST("/api/checklists/", { body: { local_datetime: localDatetime() } });
const started = today.data?.regrets.map((regret) => regret.description);
check(
  "today's checklist starts with the routine",
  today.response.status === 201 && today.data?.score === 1 && started?.join() === "Stretch for 5 minutes" && today.data?.current_streak === 0,
  today.error ?? today.data,
);
const checklistId = today.data!.id;
const routineRegret = { checklist_id: checklistId, regret_id: today.data!.regrets[0]!.id };
const removed = await api.DELETE("/api/checklists/{checklist_id}/regrets/{regret_id}/", { params: { path: routineRegret } });
check("remove a regret (204, the new score in a header)", removed.response.status === 204 && removed.response.headers.get("Checklist-Score") === "1.0", removed.error);

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

const undo = await api.PATCH("/api/checklists/{checklist_id}/regrets/{regret_id}/", {
  params: { path: tickPath },
  body: { success: false, description: "Call my mother tonight" },
});
check(
  "undo the tick and reword",
  undo.response.status === 200 && undo.data?.success === false && undo.data?.description === "Call my mother tonight" && undo.data?.score === 1,
  undo.error,
);


const fromRegret = await api.POST("/api/routine/", { body: { from_regret: added.data!.id } });
check("a regret into the routine", fromRegret.response.status === 201 && fromRegret.data?.position === 2, fromRegret.error);
const routine = await api.GET("/api/routine/");
check("the routine, in order", routine.data?.map((item) => item.position).join() === "1,2", routine.error);
const dropped = await api.DELETE("/api/routine/{item_id}/", { params: { path: routineItem } });
check("remove a routine item", dropped.response.status === 204, dropped.error);

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

const nudge = await api.POST("/api/network/nudges/{username}/", { params: { path: { username: friend.username } } });
check("nudge the friend", nudge.response.status === 201, nudge.error);
const inbox = await apiClient(baseUrl, friend.tokens.access).GET("/api/inbox/");
check("the friend's inbox holds the nudge", inbox.data?.count === 1 && inbox.data?.nudges[0]?.username === me.username, inbox.error);

console.log("all steps passed");
