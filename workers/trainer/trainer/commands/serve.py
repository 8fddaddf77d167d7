"""Serve a policy through an OpenAI-compatible HTTP API until stopped.

`POST /v1/chat/completions` (messages through the model's chat template; `max_tokens`, `temperature`,
`top_p`, `stream`: server-sent events in OpenAI's chunk format), `GET /v1/models`, `GET /health`
(status and load: requests waiting and running, requests and tokens served). One request generates
at a time; the others wait their turn, up to `max_waiting`, beyond which the server answers 503.
Once it listens it reports a `serving` event with its address (bind port 0 to let the system pick
one). On a GPU with vLLM installed (`use_vllm`), `vllm serve` runs instead and the event follows
once it answers. Runs until SIGTERM, or until the process named by TRAINER_PARENT_PID is gone.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import torch

from ..base_config import TOKENS, BaseConfig
from ..context import RunContext
from ..errors import TrainerError
from ..options import opt
from ..policy import eos_ids, load_causal_lm, load_policy_tokenizer, prompt_ids
from ..sampling import USE_VLLM, use_vllm

ROLES = ("system", "user", "assistant")
MAX_BODY_BYTES = 1_000_000


@dataclass(kw_only=True)
class Config(BaseConfig):
    model: str = opt(role="input")  # local causal LM folder to serve
    output_dir: str = opt("", role="internal")  # unused (the server writes nothing)
    host: str = opt("127.0.0.1", role="internal")  # address to listen on
    port: int = opt(0, ge=0, le=65_535, role="internal")  # port to listen on (0 = any free port, reported in the serving event)
    max_new_tokens: int = opt(512, **TOKENS)  # the most tokens one request may ask for (max_tokens above it is refused)
    max_prompt_length: int = opt(2048, **TOKENS)  # prompt tokens kept (cut from the left)
    max_waiting: int = opt(16, ge=0, le=10_000)  # requests that may wait for their turn; beyond, 503
    # auto | yes | no: run `vllm serve` instead; auto = when vllm is installed and the device is a GPU
    use_vllm: str = opt("auto", choices=USE_VLLM)
    vllm_gpu_memory_utilization: float = opt(0.9, gt=0, le=1)  # share of the GPU's memory vLLM may take
    keep_checkpoints: int = 2  # unused (nothing is trained)


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ChatRequest:
    messages: list[dict[str, str]]
    max_tokens: int
    temperature: float
    top_p: float
    stream: bool
    include_usage: bool = False


def _number(body: dict[str, Any], key: str, default: float, lo: float, hi: float, lo_open: bool = False) -> float:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{key} must be a number")
    if value > hi or value < lo or (lo_open and value == lo):
        raise BadRequest(f"{key} must be {'above' if lo_open else 'at least'} {lo} and at most {hi}, not {value}")
    return float(value)


def parse_chat_request(body: Any, cap: int) -> ChatRequest:
    """An OpenAI chat request, checked; fields this server does not use (model, n=1, …) are ignored."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list of {role, content}")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise BadRequest(f"messages[{i}] must be {{role: {' | '.join(ROLES)}, content: string}}")
    if messages[-1]["role"] == "assistant":
        raise BadRequest("the last message must be the user's (or the system's), not the assistant's")
    n = body.get("n", 1)
    if n != 1:
        raise BadRequest("n must be 1 (one answer per request)")
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
    if max_tokens is None:
        max_tokens = cap
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise BadRequest("max_tokens must be a whole number of at least 1")
    if max_tokens > cap:
        raise BadRequest(f"max_tokens {max_tokens} is above this server's limit of {cap}")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest("stream must be true or false")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict) or not isinstance(options.get("include_usage", False), bool):
        raise BadRequest("stream_options must be {include_usage: true | false}")
    return ChatRequest(
        messages=[{"role": m["role"], "content": m["content"]} for m in messages],
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", 1.0, 0.0, 2.0),
        top_p=_number(body, "top_p", 1.0, 0.0, 1.0, lo_open=True),
        stream=stream,
        include_usage=options.get("include_usage", False),
    )


@dataclass
class Load:
    """What the server is doing, for /health and the console."""

    waiting: int = 0
    running: int = 0
    requests_served: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {"waiting": self.waiting, "running": self.running, "requests_served": self.requests_served,
                    "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}


class _StopWhen:
    """A stopping criterion that ends generation once the client is gone or the server stops."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor | bool:
        stop = any(e.is_set() for e in self.events)
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)


class ChatModel:
    """The model, its tokenizer, and the one lock that lets a single request generate at a time."""

    def __init__(self, cfg: Config, ctx: RunContext) -> None:
        self.name = Path(cfg.model).name
        self.cfg = cfg
        self.device = ctx.runtime.device
        self.tokenizer = load_policy_tokenizer(cfg.model)
        self.model = load_causal_lm(cfg.model, ctx.runtime.dtype, attention=ctx.runtime.attention, cuda=self.device.type == "cuda").to(self.device).eval()
        self.eos = eos_ids(self.model, self.tokenizer)
        self.turn = threading.Lock()
        self.load = Load()
        self.stopping = threading.Event()

    def generate(self, req: ChatRequest, on_text: Any, gone: threading.Event) -> dict[str, Any]:
        """Generates one answer, handing text to `on_text` as it comes; returns the finish and token counts."""
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        ids = prompt_ids(self.tokenizer, [req.messages], self.cfg.max_prompt_length)[0]
        input_ids = torch.tensor([ids], device=self.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        sampling = {"do_sample": True, "temperature": req.temperature, "top_p": req.top_p} if req.temperature > 0 else {"do_sample": False}
        out: dict[str, Any] = {}

        def run() -> None:
            try:
                with torch.no_grad():
                    out["ids"] = self.model.generate(
                        input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=req.max_tokens, eos_token_id=self.eos,
                        pad_token_id=self.tokenizer.pad_token_id, streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([_StopWhen(gone, self.stopping)]), **sampling)
            except Exception as e:  # noqa: BLE001 - reported to the request, the server goes on
                out["error"] = e
                streamer.end()

        thread = threading.Thread(target=run, name="generate", daemon=True)
        thread.start()
        for text in streamer:
            if text:
                on_text(text)
        thread.join()
        if "error" in out:
            raise out["error"]
        completion = out["ids"][0, len(ids):].tolist()
        finish = "stop" if completion and completion[-1] in self.eos else "length"
        with self.load.lock:
            self.load.prompt_tokens += len(ids)
            self.load.completion_tokens += len(completion)
        return {"finish_reason": finish, "prompt_tokens": len(ids), "completion_tokens": len(completion)}


def _handler(chat: ChatModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            print(f"{self.address_string()} {format % args}", file=sys.stderr, flush=True)

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            kind = "invalid_request_error" if status < 500 else "server_error"
            self._json(status, {"error": {"message": message, "type": kind, "code": None}})

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/health":
                self._json(200, {"status": "ok", "model": chat.name, "backend": "transformers", "load": chat.load.snapshot()})
            elif self.path == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": chat.name, "object": "model", "created": 0, "owned_by": "rlhf"}]})
            else:
                self._error(404, f"no route GET {self.path}")

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/v1/chat/completions":
                self._error(404, f"no route POST {self.path}")
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self.close_connection = True
                    raise BadRequest(f"the body is larger than {MAX_BODY_BYTES} bytes", 413)
                try:
                    body = json.loads(self.rfile.read(length) or b"null")
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise BadRequest("the body is not valid JSON") from None
                req = parse_chat_request(body, chat.cfg.max_new_tokens)
            except BadRequest as e:
                self._error(e.status, str(e))
                return
            with chat.load.lock:
                if chat.load.waiting >= chat.cfg.max_waiting and chat.load.running > 0:
                    full = True
                else:
                    full = False
                    chat.load.waiting += 1
            if full:
                self._error(503, f"the server is busy ({chat.cfg.max_waiting} requests waiting); retry later")
                return
            with chat.turn:
                with chat.load.lock:
                    chat.load.waiting -= 1
                    chat.load.running += 1
                try:
                    self._answer(req)
                finally:
                    with chat.load.lock:
                        chat.load.running -= 1
                        chat.load.requests_served += 1

        def _answer(self, req: ChatRequest) -> None:
            head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": chat.name}
            gone = threading.Event()
            if not req.stream:
                parts: list[str] = []
                try:
                    result = chat.generate(req, parts.append, gone)
                except Exception as e:  # noqa: BLE001
                    self._error(500, f"generation failed: {type(e).__name__}: {e}")
                    return
                usage = {"prompt_tokens": result["prompt_tokens"], "completion_tokens": result["completion_tokens"],
                         "total_tokens": result["prompt_tokens"] + result["completion_tokens"]}
                self._json(200, {**head, "object": "chat.completion", "usage": usage, "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "".join(parts)}, "finish_reason": result["finish_reason"]}]})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

            def send(delta: dict[str, Any], finish: str | None = None) -> None:
                if gone.is_set():
                    return
                chunk = {**head, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                try:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                except OSError:
                    gone.set()

            send({"role": "assistant", "content": ""})
            try:
                result = chat.generate(req, lambda text: send({"content": text}), gone)
            except Exception as e:  # noqa: BLE001 - the stream has started: the error is its last event
                send({}, "error")
                print(f"generation failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
                return
            send({}, result["finish_reason"])
            if req.include_usage and not gone.is_set():
                # OpenAI's last chunk when asked for usage: no choices, the request's token counts.
                usage = {"prompt_tokens": result["prompt_tokens"], "completion_tokens": result["completion_tokens"],
                         "total_tokens": result["prompt_tokens"] + result["completion_tokens"]}
                try:
                    self.wfile.write(f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', 'choices': [], 'usage': usage})}\n\n".encode())
                except OSError:
                    gone.set()
            if not gone.is_set():
                try:
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except OSError:
                    pass

    return Handler


def vllm_command(cfg: Config, port: int, dtype: torch.dtype) -> list[str]:
    """The `vllm serve` command line for this config (vllm sits next to the interpreter)."""
    vllm = Path(sys.executable).with_name("vllm")
    dtypes = {torch.bfloat16: "bfloat16", torch.float16: "float16", torch.float32: "float32"}
    return [str(vllm), "serve", cfg.model, "--host", cfg.host, "--port", str(port), "--served-model-name", Path(cfg.model).name,
            "--dtype", dtypes.get(dtype, "auto"), "--gpu-memory-utilization", str(cfg.vllm_gpu_memory_utilization),
            "--max-model-len", str(cfg.max_prompt_length + cfg.max_new_tokens), "--seed", str(cfg.seed)]


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _serve_vllm(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    port = cfg.port or free_port(cfg.host)
    proc = subprocess.Popen(vllm_command(cfg, port, ctx.runtime.dtype), stdout=sys.stderr)
    url = f"http://{cfg.host}:{port}"
    announced = False
    try:
        while proc.poll() is None and not ctx.stop.requested:
            if not announced:
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                        announced = r.status == 200
                except OSError:
                    pass
                if announced:
                    ctx.events.emit("serving", url=url, host=cfg.host, port=port, model=Path(cfg.model).name, backend="vllm")
            time.sleep(1)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if proc.returncode not in (0, None, -15) and not ctx.stop.requested:
        raise TrainerError(f"vllm serve exited with code {proc.returncode}")
    return {"backend": "vllm", "interrupted": True}


def run(cfg: Config, ctx: RunContext) -> dict[str, Any]:
    if use_vllm(cfg.use_vllm, ctx.runtime):
        return _serve_vllm(cfg, ctx)
    chat = ChatModel(cfg, ctx)
    try:
        server = ThreadingHTTPServer((cfg.host, cfg.port), _handler(chat))
    except OSError as e:
        raise TrainerError(f"cannot listen on {cfg.host}:{cfg.port}: {e}") from None
    server.daemon_threads = True
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    print(f"serving {chat.name} at {url}", file=sys.stderr, flush=True)
    ctx.events.emit("serving", url=url, host=host, port=port, model=chat.name, backend="transformers")
    try:
        while not ctx.stop.requested:
            time.sleep(0.2)
    finally:
        chat.stopping.set()
        server.shutdown()
        server.server_close()
    return {"backend": "transformers", "interrupted": True, **chat.load.snapshot()}
