"""A stand-in of the Agones SDK server (the sidecar of a GameServer pod), built from Agones's
own protos (tests/fixtures/agones): the `agones.dev.sdk.SDK` service and the beta service's
Counters. It records every call with its time, serves GetGameServer and WatchGameServer with
a status (address, ports) and keeps Counters, so a test can check what a host under test
said and in which order. The protos are compiled with grpcio-tools at test time into a
temporary directory."""

import importlib
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agones"

_modules = None


def _protos():
    """The generated modules (sdk_pb2, sdk_pb2_grpc, beta_pb2, beta_pb2_grpc), compiled once."""
    global _modules
    if _modules is None:
        from grpc_tools import protoc
        import grpc_tools

        out = tempfile.mkdtemp(prefix="agones-protos-")
        includes = [
            str(Path(grpc_tools.__file__).parent / "_proto"),
            str(FIXTURES / "googleapis"),
            str(FIXTURES / "grpc-gateway"),
        ]
        dependencies = [
            "google/api/annotations.proto", "google/api/http.proto",
            "google/api/client.proto", "google/api/field_behavior.proto",
            "google/api/resource.proto", "google/api/launch_stage.proto",
            "protoc-gen-openapiv2/options/annotations.proto",
            "protoc-gen-openapiv2/options/openapiv2.proto",
        ]
        for root, files in [(None, dependencies), (FIXTURES / "sdk", ["sdk.proto"]),
                            (FIXTURES / "sdk" / "beta", ["beta.proto"])]:
            args = ["protoc", *(f"-I{i}" for i in includes), f"--python_out={out}"]
            if root is not None:
                args += [f"-I{root}", f"--grpc_python_out={out}"]
            code = protoc.main(args + files)
            assert code == 0, (code, files)
        sys.path.insert(0, out)
        _modules = {name: importlib.import_module(name)
                    for name in ["sdk_pb2", "sdk_pb2_grpc", "beta_pb2", "beta_pb2_grpc"]}
    return _modules


class AgonesSdk:
    """A running stand-in on a free port of localhost: `port` for AGONES_SDK_GRPC_PORT;
    `calls` lists (time, name, detail) in the order they arrived."""

    def __init__(self, address="203.0.113.9", ports=(("game", 7100), ("fast", 7101)),
                 counters=("game-sessions", "players")):
        import grpc

        m = _protos()
        self.lock = threading.Lock()
        self.calls = []
        self.labels = {}
        self.annotations = {}
        self.state = "Scheduled"
        self.counters = {name: [0, 0] for name in counters}
        self.address = address
        self.ports = list(ports)
        self.updates = threading.Condition(self.lock)
        self.version = 0
        stand_in = self
        sdk_pb2, beta_pb2 = m["sdk_pb2"], m["beta_pb2"]

        class Sdk(m["sdk_pb2_grpc"].SDKServicer):
            def Ready(self, request, context):
                stand_in.record("Ready", state="Ready")
                return sdk_pb2.Empty()

            def Allocate(self, request, context):
                stand_in.record("Allocate", state="Allocated")
                return sdk_pb2.Empty()

            def Shutdown(self, request, context):
                stand_in.record("Shutdown", state="Shutdown")
                return sdk_pb2.Empty()

            def Reserve(self, request, context):
                stand_in.record("Reserve", state="Reserved")
                return sdk_pb2.Empty()

            def Health(self, request_iterator, context):
                for _ in request_iterator:
                    stand_in.record("Health")
                return sdk_pb2.Empty()

            def GetGameServer(self, request, context):
                stand_in.record("GetGameServer")
                with stand_in.lock:
                    return stand_in.game_server(sdk_pb2)

            def WatchGameServer(self, request, context):
                stand_in.record("WatchGameServer")
                seen = -1
                while context.is_active():
                    with stand_in.lock:
                        if stand_in.version == seen:
                            stand_in.updates.wait(0.2)
                            continue
                        seen = stand_in.version
                        gs = stand_in.game_server(sdk_pb2)
                    yield gs

            def SetLabel(self, request, context):
                stand_in.record("SetLabel", key=request.key, value=request.value)
                with stand_in.lock:
                    stand_in.labels[request.key] = request.value
                return sdk_pb2.Empty()

            def SetAnnotation(self, request, context):
                stand_in.record("SetAnnotation", key=request.key, value=request.value)
                with stand_in.lock:
                    stand_in.annotations[request.key] = request.value
                return sdk_pb2.Empty()

        class Beta(m["beta_pb2_grpc"].SDKServicer):
            def GetCounter(self, request, context):
                stand_in.record("GetCounter", name=request.name)
                with stand_in.lock:
                    if request.name not in stand_in.counters:
                        context.abort(grpc.StatusCode.NOT_FOUND, "no such counter")
                    count, capacity = stand_in.counters[request.name]
                return beta_pb2.Counter(name=request.name, count=count, capacity=capacity)

            def UpdateCounter(self, request, context):
                update = request.counterUpdateRequest
                detail = {"name": update.name}
                if update.HasField("count"):
                    detail["count"] = update.count.value
                if update.HasField("capacity"):
                    detail["capacity"] = update.capacity.value
                if update.countDiff:
                    detail["diff"] = update.countDiff
                stand_in.record("UpdateCounter", **detail)
                with stand_in.lock:
                    if update.name not in stand_in.counters:
                        context.abort(grpc.StatusCode.NOT_FOUND, "no such counter")
                    counter = stand_in.counters[update.name]
                    if "capacity" in detail:
                        counter[1] = detail["capacity"]
                    if "count" in detail:
                        counter[0] = detail["count"]
                    counter[0] += detail.get("diff", 0)
                    count, capacity = counter
                return beta_pb2.Counter(name=update.name, count=count, capacity=capacity)

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        m["sdk_pb2_grpc"].add_SDKServicer_to_server(Sdk(), self.server)
        m["beta_pb2_grpc"].add_SDKServicer_to_server(Beta(), self.server)
        self.port = self.server.add_insecure_port("localhost:0")
        self.server.start()

    def game_server(self, sdk_pb2):
        """The GameServer as GetGameServer answers it now (the lock held)."""
        gs = sdk_pb2.GameServer()
        gs.object_meta.name = "volley-test-gs"
        gs.object_meta.namespace = "default"
        gs.status.state = self.state
        gs.status.address = self.address
        for name, port in self.ports:
            gs.status.ports.add(name=name, port=port)
        for name, (count, capacity) in self.counters.items():
            gs.status.counters[name].count = count
            gs.status.counters[name].capacity = capacity
        return gs

    def record(self, name, /, state=None, **detail):
        with self.lock:
            self.calls.append((time.monotonic(), name, detail))
            if state is not None:
                self.state = state
            self.version += 1
            self.updates.notify_all()

    def names(self):
        """The calls' names so far, in order."""
        with self.lock:
            return [name for _, name, _ in self.calls]

    def counter(self, name):
        with self.lock:
            return tuple(self.counters[name])

    def stop(self):
        self.server.stop(grace=None)
