export { type Item, type Receiver, type RecordedRequest, type ScriptedReply, startReceiver } from "./receiver.ts";
export { type IngestTarget, startReceiverTarget, startTarget } from "./target.ts";
export { startWorkerTarget } from "./worker-target.ts";
