// @ts-check
// The detector in a Web Worker, so the page stays responsive. Messages (protocol.d.ts): a Request
// { id, op, args } with op one of `ops` below → a Reply { id, ok: true, value } or { id, ok: false,
// error: { name, message } }; an op the worker does not have is answered with a ProtocolError naming it.
import { createEngine, typedError } from "./engine.js";

/** @type {import("./engine.js").Engine | null} */
let engine = null;

/** @type {import("./protocol.js").Handlers} */
const ops = {
  async create(options) {
    engine?.close();
    engine = await createEngine(options);
    return { backend: engine.backend, sidecar: engine.sidecar, limits: engine.limits, meaning: engine.meaning, options: engine.options };
  },
  async setOptions(change) {
    return needEngine().setOptions(change);
  },
  async detect(input) {
    return needEngine().detect(input);
  },
  async detectForVideo(input) {
    return needEngine().detectForVideo(input);
  },
  async memoryBytes() {
    return needEngine().memoryBytes();
  },
  async judge({ bytes, joints }) {
    return needEngine().judge(bytes, joints);
  },
};
// No close operation: the package closes a detector by terminating its worker, which frees
// everything the worker holds.

function needEngine() {
  if (!engine) {
    const e = new Error("the detector is closed");
    e.name = "StateError";
    throw e;
  }
  return engine;
}

/** @param {MessageEvent<import("./protocol.js").Request>} event */
self.onmessage = async ({ data }) => {
  const { id, op, args } = data ?? {};
  try {
    if (typeof op !== "string" || !Object.hasOwn(ops, op)) {
      throw typedError("ProtocolError", `the detector worker has no operation ${JSON.stringify(op)} (it has ${Object.keys(ops).join(", ")})`);
    }
    const value = await /** @type {(args: unknown) => Promise<unknown>} */ (ops[op])(args);
    reply({ id, ok: true, value: /** @type {import("./protocol.js").Answer} */ (value) });
  } catch (e) {
    const err = /** @type {{ name?: string, message?: string } | null | undefined} */ (e);
    reply({ id, ok: false, error: { name: err?.name ?? "Error", message: err?.message ?? String(e) } });
  }
};

/** @param {import("./protocol.js").Reply} message */
function reply(message) {
  self.postMessage(message);
}
