"""Python's botocore against `eventstream serve`, over plain HTTP and over HTTPS.

botocore speaks HTTP/1.1 (urllib3), signs every request itself, retries on its own and parses
the event stream with its own decoder: a third kind of client beside the Go and JavaScript
SDKs. Run with `python3 -m unittest discover -s internal/interop/py` from the repository
root (internal/interop/ci.sh does, when botocore is installed); EVENTSTREAM_BIN names a built
`eventstream` command, or the test builds one.
"""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
KEY, SECRET = "AKIDTEST", "s3cr3t"


class Serve:
    """One `eventstream serve` process, started as a user would, stopped with SIGTERM."""

    def __init__(self, binary, *flags):
        env = dict(os.environ, EVENTSTREAM_CREDENTIALS=KEY + ":" + SECRET)
        self.proc = subprocess.Popen([binary, "serve", "-addr", "127.0.0.1:0", *flags], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline()
        self.url = first.rsplit(" ", 1)[-1].strip()
        if not self.url.startswith("http"):
            raise RuntimeError("no URL in serve's first line: %r" % first)
        self.ca = None
        if "-tls" in flags:
            self.ca = self.proc.stdout.readline().rsplit(" ", 1)[-1].strip()
        # The request log goes to standard error: read it as it comes, so the pipe never fills.
        self.log = []
        self.reader = threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True)
        self.reader.start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.reader.join(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, "".join(self.log)


def new_client(server, secret=SECRET, attempts=1):
    return botocore.session.get_session().create_client(
        "bedrock-runtime", region_name="us-west-2", endpoint_url=server.url,
        aws_access_key_id=KEY, aws_secret_access_key=secret,
        verify=server.ca if server.ca else True,
        config=Config(retries={"mode": "standard", "max_attempts": attempts}, read_timeout=30))


def claude(prompt):
    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512,
                       "messages": [{"role": "user", "content": prompt}]})


class BotocoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="eventstream-py-")
        binary = os.environ.get("EVENTSTREAM_BIN")
        if not binary:
            binary = os.path.join(cls.tmp, "eventstream")
            subprocess.run(["go", "build", "-o", binary, "./cmd/eventstream"], cwd=ROOT, check=True)
        cls.servers = {"http": Serve(binary), "https": Serve(binary, "-tls")}

    @classmethod
    def tearDownClass(cls):
        try:
            for name, s in cls.servers.items():
                code, err = s.stop()
                if code != 0 or "eventstream serve: stopped" not in err:
                    raise AssertionError("%s serve ended with %d: %s" % (name, code, err))
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def client(self, server, **kw):
        c = new_client(server, **kw)
        self.addCleanup(c.close)
        return c

    def each(self):
        for name, s in self.servers.items():
            with self.subTest(server=name):
                yield s

    def test_converse_stream(self):
        for s in self.each():
            r = self.client(s).converse_stream(modelId=MODEL, messages=[
                {"role": "user", "content": [{"text": "hello there from botocore"}]}])
            kinds, text = [], ""
            for ev in r["stream"]:
                kind = next(iter(ev))
                kinds.append(kind)
                if kind == "contentBlockDelta":
                    text += ev[kind]["delta"]["text"]
                if kind == "metadata":
                    self.assertGreater(ev[kind]["usage"]["outputTokens"], 0)
            self.assertEqual(text, "hello there from botocore")
            self.assertEqual(kinds[0], "messageStart")
            self.assertEqual(kinds[-2:], ["messageStop", "metadata"])

    def test_invoke_with_response_stream(self):
        for s in self.each():
            r = self.client(s).invoke_model_with_response_stream(modelId=MODEL, body=claude("one two three four five"))
            text = ""
            for ev in r["body"]:
                chunk = json.loads(ev["chunk"]["bytes"])
                if chunk["type"] == "content_block_delta":
                    text += chunk["delta"]["text"]
            self.assertEqual(text, "one two three four five")

    def test_exception_in_stream(self):
        for s in self.each():
            r = self.client(s).invoke_model_with_response_stream(
                modelId=MODEL, body=claude('hi [[mock exception=throttlingException after=2 message="slow down"]]'))
            events = []
            with self.assertRaises(EventStreamError) as cm:
                for ev in r["body"]:
                    events.append(ev)
            self.assertEqual(len(events), 2)
            self.assertEqual(cm.exception.response["Error"]["Code"], "throttlingException")
            self.assertEqual(cm.exception.response["Error"]["Message"], "slow down")

    def test_invoke_without_content_type(self):
        # botocore sends no Content-Type when contentType is left out; the service reads JSON.
        for s in self.each():
            r = self.client(s).invoke_model(modelId=MODEL, body=claude("plain invoke"))
            body = json.loads(r["body"].read())
            self.assertEqual(body["content"][0]["text"], "plain invoke")

    def test_tool_use(self):
        tools = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}}]}
        for s in self.each():
            r = self.client(s).converse(modelId="amazon.nova-lite-v1:0", toolConfig=tools, messages=[
                {"role": "user", "content": [{"text": "weather? [[mock tool=get_weather]]"}]}])
            self.assertEqual(r["stopReason"], "tool_use")
            use = r["output"]["message"]["content"][-1]["toolUse"]
            self.assertEqual(use["name"], "get_weather")
            self.assertIsInstance(use["input"]["city"], str)

    def test_refusals(self):
        for s in self.each():
            with self.assertRaises(ClientError) as cm:
                self.client(s).converse(modelId=MODEL, messages=[])
            self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)

            with self.assertRaises(ClientError) as cm:
                self.client(s, secret="wrong").converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "x"}]}])
            err = cm.exception.response["Error"]
            self.assertEqual(err["Code"], "InvalidSignatureException")
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
            # botocore signs the model ID's ':' escaped, so the canonical path has it twice.
            self.assertIn("The Canonical String for this request should have been\n'POST\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse\n", err["Message"])

            with self.assertRaises(ClientError) as cm:
                self.client(s).converse_stream(modelId=MODEL, messages=[
                    {"role": "user", "content": [{"text": "x [[mock exception=modelTimeoutException]]"}]}])
            self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
            self.assertIn("internalServerException", cm.exception.response["Error"]["Message"])

    def test_retries(self):
        # botocore's standard mode retries a 503 on its own; the attempt header counts them.
        for s in self.each():
            r = self.client(s, attempts=3).invoke_model(modelId=MODEL, body=claude("retry me [[mock fail-attempts=2 status=503]]"))
            self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 2)
            self.assertEqual(json.loads(r["body"].read())["content"][0]["text"], "retry me")


if __name__ == "__main__":
    unittest.main()
