import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import torch

from trainer.commands.serve import BadRequest, Config, parse_chat_request, vllm_command
from trainer.data import render
from trainer.policy import load_policy_tokenizer
from trainer.tiny import make_tiny_causal_lm

WORDS = ["cat", "dog", "sure", "ok", "no"]
TRAINER_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory):
    return make_tiny_causal_lm(tmp_path_factory.mktemp("serve") / "tiny-chat", WORDS, seed=5)


@pytest.fixture(scope="module")
def server(policy_dir):
    """`python -m trainer serve` on port 0, as the worker starts it; yields its serving event."""
    proc = subprocess.Popen([sys.executable, "-m", "trainer", "serve", "--model", str(policy_dir), "--device", "cpu", "--port", "0",
                             "--max-new-tokens", "8", "--max-waiting", "4"],
                            cwd=TRAINER_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.stdout is not None
    line = proc.stdout.readline()
    event = json.loads(line)
    assert event["event"] == "serving", line
    yield {"proc": proc, **event}
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def post(url, body, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}/v1/chat/completions", data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def get(url, path):
    with urllib.request.urlopen(f"{url}{path}", timeout=10) as r:
        return json.loads(r.read())


def test_reports_its_address_and_answers_health_and_models(server):
    assert server["host"] == "127.0.0.1" and server["port"] > 0 and server["url"] == f"http://127.0.0.1:{server['port']}"
    assert server["backend"] == "transformers" and server["model"] == "tiny-chat"
    health = get(server["url"], "/health")
    assert health["status"] == "ok" and set(health["load"]) == {"waiting", "running", "requests_served", "prompt_tokens", "completion_tokens"}
    assert get(server["url"], "/v1/models")["data"][0]["id"] == "tiny-chat"


def test_chat_goes_through_the_chat_template_and_respects_max_tokens(server, policy_dir):
    messages = [{"role": "system", "content": "ok"}, {"role": "user", "content": "cat dog"}, {"role": "assistant", "content": "sure"},
                {"role": "user", "content": "dog"}]
    before = get(server["url"], "/health")["load"]
    status, _, text = post(server["url"], {"model": "tiny-chat", "messages": messages, "max_tokens": 3, "temperature": 0})
    assert status == 200, text
    body = json.loads(text)
    assert body["object"] == "chat.completion" and body["model"] == "tiny-chat"
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] in ("stop", "length")
    tok = load_policy_tokenizer(policy_dir)
    # The prompt is the conversation through the tokenizer's chat template, with the generation prompt.
    expected = tok(render(tok, messages, add_generation_prompt=True), add_special_tokens=False)["input_ids"]
    assert body["usage"]["prompt_tokens"] == len(expected)
    assert 1 <= body["usage"]["completion_tokens"] <= 3
    if choice["finish_reason"] == "length":
        assert body["usage"]["completion_tokens"] == 3
    after = get(server["url"], "/health")["load"]
    assert after["requests_served"] == before["requests_served"] + 1
    assert after["completion_tokens"] == before["completion_tokens"] + body["usage"]["completion_tokens"]
    # Greedy decoding is deterministic: the same request, the same answer.
    again = json.loads(post(server["url"], {"messages": messages, "max_tokens": 3, "temperature": 0})[2])
    assert again["choices"][0]["message"]["content"] == choice["message"]["content"]


def test_streams_openai_chunks_that_add_up_to_the_answer(server):
    messages = [{"role": "user", "content": "cat"}]
    full = json.loads(post(server["url"], {"messages": messages, "max_tokens": 6, "temperature": 0})[2])
    status, content_type, text = post(server["url"], {"messages": messages, "max_tokens": 6, "temperature": 0, "stream": True})
    assert status == 200 and content_type == "text/event-stream"
    events = [line[len("data: "):] for line in text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == full["choices"][0]["finish_reason"]
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert streamed == full["choices"][0]["message"]["content"]
    # Asked for usage, the stream ends with a chunk of token counts and no choices.
    _, _, text = post(server["url"], {"messages": messages, "max_tokens": 6, "temperature": 0, "stream": True, "stream_options": {"include_usage": True}})
    last = json.loads([line for line in text.split("\n\n") if line.startswith("data: {")][-1][len("data: "):])
    assert last["choices"] == [] and last["usage"] == full["usage"]


@pytest.mark.parametrize(("body", "message"), [
    ({"messages": []}, "messages must be a non-empty list"),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0] must be"),
    ({"messages": [{"role": "user", "content": 3}]}, "messages[0] must be"),
    ({"messages": [{"role": "user", "content": "cat"}], "max_tokens": 9}, "above this server's limit of 8"),
    ({"messages": [{"role": "user", "content": "cat"}], "max_tokens": 0}, "max_tokens must be a whole number"),
    ({"messages": [{"role": "user", "content": "cat"}], "temperature": "hot"}, "temperature must be a number"),
    ({"messages": [{"role": "user", "content": "cat"}], "temperature": 5}, "temperature must be at least 0.0 and at most 2.0"),
    ({"messages": [{"role": "user", "content": "cat"}], "top_p": 0}, "top_p must be above 0.0"),
    ({"messages": [{"role": "user", "content": "cat"}], "stream": "yes"}, "stream must be true or false"),
    ({"messages": [{"role": "user", "content": "cat"}, {"role": "assistant", "content": "ok"}]}, "the last message must be the user's"),
    ([1, 2], "the body must be a JSON object"),
])
def test_bad_requests_get_400_with_a_message(server, body, message):
    status, _, text = post(server["url"], body)
    assert status == 400
    assert message in json.loads(text)["error"]["message"]


def test_a_body_that_is_not_json_gets_400(server):
    status, _, text = post(server["url"], None, raw=b"{not json")
    assert status == 400 and json.loads(text)["error"]["message"] == "the body is not valid JSON"


def test_unknown_paths_get_404(server):
    with pytest.raises(urllib.error.HTTPError) as e:
        get(server["url"], "/v1/completions")
    assert e.value.code == 404


def test_stops_on_sigterm_and_closes_its_port(server):
    proc = server["proc"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    done = json.loads(proc.stdout.readline())
    assert done["event"] == "done" and done["command"] == "serve" and done["requests_served"] >= 1
    with pytest.raises(urllib.error.URLError):
        get(server["url"], "/health")


def test_max_tokens_defaults_to_the_cap():
    assert parse_chat_request({"messages": [{"role": "user", "content": "x"}]}, 5).max_tokens == 5
    with pytest.raises(BadRequest):
        parse_chat_request({"messages": [{"role": "user", "content": "x"}], "n": 2}, 5)


def test_vllm_command_line(tmp_path):
    cfg = Config(model=str(tmp_path / "my-policy"), host="0.0.0.0", max_new_tokens=256, max_prompt_length=1024, vllm_gpu_memory_utilization=0.5)
    cmd = vllm_command(cfg, 8123, torch.bfloat16)
    assert Path(cmd[0]).name == "vllm" and cmd[1:3] == ["serve", str(tmp_path / "my-policy")]
    args = dict(zip(cmd[3::2], cmd[4::2]))
    assert args == {"--host": "0.0.0.0", "--port": "8123", "--served-model-name": "my-policy", "--dtype": "bfloat16",
                    "--gpu-memory-utilization": "0.5", "--max-model-len": "1280", "--seed": "0"}
