// Start the server first: eventstream serve (it listens on http://127.0.0.1:8085).
import { BedrockRuntimeClient, ConverseStreamCommand, ThrottlingException } from "@aws-sdk/client-bedrock-runtime";

const client = new BedrockRuntimeClient({
  region: "us-east-1",
  endpoint: process.env.BEDROCK_ENDPOINT ?? "http://127.0.0.1:8085",
  credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "s3cr3t" },
});

async function ask(prompt) {
  const out = await client.send(
    new ConverseStreamCommand({
      modelId: "anthropic.claude-3-haiku-20240307-v1:0",
      messages: [{ role: "user", content: [{ text: prompt }] }],
    }),
  );
  let text = "";
  for await (const event of out.stream) {
    if (event.contentBlockDelta) text += event.contentBlockDelta.delta.text;
  }
  return text;
}

console.log(await ask("Hello, Bedrock!")); // the echo: Hello, Bedrock!
try {
  await ask("Hello again [[mock exception=throttlingException after=2]]");
} catch (err) {
  console.log(err instanceof ThrottlingException ? "throttled" : `unexpected: ${err}`);
}
client.destroy();
