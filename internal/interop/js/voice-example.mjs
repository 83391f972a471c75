// Start the server first: eventstream serve (it listens on http://127.0.0.1:8085).
import { BedrockRuntimeClient, InvokeModelWithBidirectionalStreamCommand } from "@aws-sdk/client-bedrock-runtime";

const client = new BedrockRuntimeClient({
  region: "us-east-1",
  endpoint: process.env.BEDROCK_ENDPOINT ?? "http://127.0.0.1:8085", // h2c: the default handler
  credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "s3cr3t" },
});

const event = (name, body) => ({ chunk: { bytes: new TextEncoder().encode(JSON.stringify({ event: { [name]: body } })) } });

let done;
const answered = new Promise((resolve) => (done = resolve)); // resolved at completionEnd

// The input: an async iterable of events. The SDK signs each one, and sends the end frame
// when the iterable ends.
async function* input() {
  yield event("sessionStart", { inferenceConfiguration: { maxTokens: 1024, topP: 0.9, temperature: 0.7 } });
  yield event("promptStart", {
    promptName: "p",
    textOutputConfiguration: { mediaType: "text/plain" },
    audioOutputConfiguration: {
      mediaType: "audio/lpcm", sampleRateHertz: 24000, sampleSizeBits: 16, channelCount: 1,
      voiceId: "tiffany", encoding: "base64", audioType: "SPEECH",
    },
  });
  yield event("contentStart", {
    promptName: "p", contentName: "t1", type: "TEXT", interactive: true, role: "USER",
    textInputConfiguration: { mediaType: "text/plain" },
  });
  yield event("textInput", { promptName: "p", contentName: "t1", content: "Book a table for two." });
  yield event("contentEnd", { promptName: "p", contentName: "t1" });
  await answered; // a real agent keeps the session open while it talks
  yield event("promptEnd", { promptName: "p" });
  yield event("sessionEnd", {});
}

const out = await client.send(
  new InvokeModelWithBidirectionalStreamCommand({ modelId: "amazon.nova-sonic-v1:0", body: input() }),
);
const roles = {};
let audioBytes = 0;
for await (const part of out.body) {
  const [[name, e]] = Object.entries(JSON.parse(new TextDecoder().decode(part.chunk.bytes)).event);
  if (name === "contentStart") roles[e.contentId] = `${e.role} ${e.additionalModelFields ?? ""}`;
  if (name === "textOutput" && roles[e.contentId].includes("FINAL")) console.log(`${e.role}: ${e.content}`);
  if (name === "audioOutput") audioBytes += Buffer.from(e.content, "base64").length;
  if (name === "completionEnd") done();
}
console.log(`${audioBytes} bytes of audio`); // 24 kHz 16-bit LPCM: a tone for a text turn
client.destroy();
