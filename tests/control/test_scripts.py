"""Script resources through boto3 and the AWS CLI: CreateScript, UpdateScript, DescribeScript,
ListScripts and DeleteScript, the zip rules, storage across restarts, and the fleet's script
from `volley serve --script PATH` or `scripts.script_id` (control-api.md §2.5, §3.5, §5;
scripts.md §1)."""

import base64
import io
import os
import re
import stat
import time
import zipfile
from pathlib import Path

import pytest

from conftest import (
    FLEET_ID,
    UUID_RE,
    assert_error_response,
    assert_recent,
    aws_cli,
    call,
    create_game,
    expect_error,
    failed_start,
    make_client,
)

SCRIPT_ARN_PREFIX = "arn:aws:gamelift:local::script/"
SCRIPT_MEMBERS = {"ScriptId", "ScriptArn", "Name", "Version", "SizeOnDisk", "CreationTime",
                  "NodeJsVersion"}

INDEX = """'use strict';
const util = require('./lib/util');
exports.ssExports = {
    configuration: { maxPlayers: 8 },
    init: function (session) { util.greet(); },
};
"""
UTIL = "exports.greet = function () { return 'hello'; };\n"


def make_zip(files, symlinks=()):
    """A deflated zip of {name: text or bytes}, names exactly as given, plus symbolic links
    given as (name, target)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix, so the mode below counts.
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def hello_zip(**extra):
    return make_zip({"index.js": INDEX, "lib/util.js": UTIL, **extra})


def create(client, zip_bytes=None, **params):
    """CreateScript with `zip_bytes` (the hello script by default); the Script."""
    return client.create_script(ZipFile=hello_zip() if zip_bytes is None else zip_bytes,
                                **params)["Script"]


def describe(client, script_id):
    return client.describe_script(ScriptId=script_id)["Script"]


def list_ids(client, page_size=None):
    """Every script id through the boto3 paginator, checked for repeats."""
    config = {"PageSize": page_size} if page_size is not None else {}
    pages = client.get_paginator("list_scripts").paginate(PaginationConfig=config)
    found = [s["ScriptId"] for page in pages for s in page["Scripts"]]
    assert len(found) == len(set(found)), found
    return found


def fleet_attributes(client):
    (attributes,) = client.describe_fleet_attributes()["FleetAttributes"]
    return attributes


def assert_script(script, zip_bytes, **expected):
    """A Script object (§3.5) for an upload of `zip_bytes`, with `expected` members."""
    assert set(script) <= SCRIPT_MEMBERS, script
    assert re.fullmatch("script-" + UUID_RE, script["ScriptId"]), script
    assert script["ScriptArn"] == SCRIPT_ARN_PREFIX + script["ScriptId"]
    assert script["SizeOnDisk"] == len(zip_bytes)
    assert "StorageLocation" not in script
    for key, value in expected.items():
        assert script.get(key) == value, (key, script)


# ---- CreateScript, DescribeScript, DeleteScript ------------------------------------------


def test_a_script_is_created_described_listed_and_deleted(gamelift):
    zip_bytes = hello_zip()
    script = create(gamelift, zip_bytes, Name="duel", Version="1.0")
    assert_script(script, zip_bytes, Name="duel", Version="1.0", NodeJsVersion="10.x")
    assert_recent(script["CreationTime"])
    script_id = script["ScriptId"]
    assert describe(gamelift, script_id) == script
    assert describe(gamelift, script["ScriptArn"]) == script
    assert script_id in list_ids(gamelift)

    response = gamelift.delete_script(ScriptId=script_id)
    assert set(response) == {"ResponseMetadata"}
    with expect_error("NotFoundException", f"No script matches {script_id}"):
        describe(gamelift, script_id)
    with expect_error("NotFoundException"):
        gamelift.delete_script(ScriptId=script_id)
    assert script_id not in list_ids(gamelift)


def test_name_and_version_are_optional_and_node_24_is_kept(gamelift):
    zip_bytes = hello_zip()
    bare = create(gamelift, zip_bytes)
    assert_script(bare, zip_bytes, NodeJsVersion="10.x")
    assert "Name" not in bare and "Version" not in bare
    newer = create(gamelift, zip_bytes, NodeJsVersion="24.x")
    assert newer["NodeJsVersion"] == "24.x"
    assert describe(gamelift, newer["ScriptId"])["NodeJsVersion"] == "24.x"


def test_delete_by_arn(gamelift):
    script = create(gamelift)
    gamelift.delete_script(ScriptId=script["ScriptArn"])
    with expect_error("NotFoundException"):
        describe(gamelift, script["ScriptId"])


def test_the_raw_response_is_aws_json(server):
    zip_bytes = hello_zip()
    body = {"Name": "raw", "ZipFile": base64.b64encode(zip_bytes).decode()}
    response = call(server, body, target="GameLift.CreateScript")
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    script = response.json()["Script"]
    assert isinstance(script["CreationTime"], (int, float))
    assert abs(script["CreationTime"] - time.time()) < 10
    assert_script(script, zip_bytes, Name="raw")

    deleted = call(server, {"ScriptId": script["ScriptId"]}, target="GameLift.DeleteScript")
    assert (deleted.status, deleted.json()) == (200, {})


# ---- UpdateScript ------------------------------------------------------------------------


def test_update_changes_name_version_and_content(gamelift):
    created = create(gamelift, Name="duel", Version="1.0", NodeJsVersion="24.x")
    script_id = created["ScriptId"]

    renamed = gamelift.update_script(ScriptId=script_id, Name="duel-2")["Script"]
    assert renamed == {**created, "Name": "duel-2"}

    bigger = hello_zip(**{"lib/extra.js": "exports.more = " + "1 + " * 500 + "1;\n"})
    assert len(bigger) != len(hello_zip())
    updated = gamelift.update_script(
        ScriptId=created["ScriptArn"], Version="2.0", ZipFile=bigger
    )["Script"]
    assert_script(updated, bigger, ScriptId=script_id, Name="duel-2", Version="2.0",
                  NodeJsVersion="24.x", CreationTime=created["CreationTime"])
    assert describe(gamelift, script_id) == updated

    # Nothing to change: the script as it is.
    assert gamelift.update_script(ScriptId=script_id)["Script"] == updated


def test_a_refused_update_changes_nothing(gamelift):
    created = create(gamelift, Name="kept", Version="1.0")
    broken = make_zip({"index.js": "exports.ssExports = {\n"})
    with expect_error("InvalidRequestException", "index.js does not compile"):
        gamelift.update_script(ScriptId=created["ScriptId"], Name="changed", ZipFile=broken)
    assert describe(gamelift, created["ScriptId"]) == created


def test_update_of_an_unknown_script_is_not_found(gamelift):
    missing = "script-00000000-0000-4000-8000-000000000000"
    with expect_error("NotFoundException", missing):
        gamelift.update_script(ScriptId=missing, Name="x")
    with expect_error("NotFoundException", missing):
        gamelift.update_script(ScriptId=SCRIPT_ARN_PREFIX + missing, ZipFile=hello_zip())


# ---- Validation --------------------------------------------------------------------------


def test_storage_location_is_not_supported(gamelift):
    s3 = {"Bucket": "my-bucket", "Key": "script.zip", "RoleArn": "arn:aws:iam::1:role/x"}
    with expect_error("InvalidRequestException", "StorageLocation is not supported"):
        gamelift.create_script(Name="s3", StorageLocation=s3)
    with expect_error("InvalidRequestException", "mutually exclusive"):
        gamelift.create_script(StorageLocation=s3, ZipFile=hello_zip())
    with expect_error("InvalidRequestException", "one of ZipFile and StorageLocation"):
        gamelift.create_script(Name="nothing")
    script = create(gamelift)
    with expect_error("InvalidRequestException", "StorageLocation is not supported"):
        gamelift.update_script(ScriptId=script["ScriptId"], StorageLocation=s3)


def test_members_are_validated(gamelift_unvalidated):
    client = gamelift_unvalidated
    zip_bytes = hello_zip()
    for params, member in [
        ({"Name": ""}, "name"),
        ({"Name": "n" * 1025}, "name"),
        ({"Version": ""}, "version"),
        ({"Version": "v" * 1025}, "version"),
        ({"NodeJsVersion": "latest"}, "nodeJsVersion"),
        ({"NodeJsVersion": "1" * 15 + ".x"}, "nodeJsVersion"),
    ]:
        with expect_error("InvalidRequestException", member):
            client.create_script(ZipFile=zip_bytes, **params)
    with expect_error("InvalidRequestException", r"18\.x is not supported; use one of 10\.x, 24\.x"):
        client.create_script(ZipFile=zip_bytes, NodeJsVersion="18.x")
    for operation in (client.describe_script, client.delete_script, client.update_script):
        with expect_error("InvalidRequestException", "scriptId.*must not be null"):
            operation()
        for bad in ("not-a-script", "script-", "script- x", "arn:aws:gamelift:local::fleet/x",
                    "s" * 513):
            with expect_error("InvalidRequestException", "scriptId"):
                operation(ScriptId=bad)


def test_zip_file_must_be_base64_within_the_limit(server):
    for zip_file in (42, "not base64!"):
        response = call(server, {"ZipFile": zip_file}, target="GameLift.CreateScript")
        body = assert_error_response(response, "SerializationException")
        assert "ZipFile" in body["message"], body
    oversize = base64.b64encode(b"\0" * 5_000_001).decode()
    response = call(server, {"ZipFile": oversize}, target="GameLift.CreateScript")
    body = assert_error_response(response, "InvalidRequestException")
    assert "zipFile" in body["message"] and "5000000" in body["message"], body


def test_a_zip_too_large_for_the_body_limit_is_refused_cleanly(gamelift):
    # 6.5 MB of incompressible bytes is over 8 MiB in base64: boto3 sends all of it and
    # reads the answer, a 413 with the modeled InvalidRequestException.
    zip_bytes = make_zip({"index.js": b"//" + os.urandom(6_500_000)})
    with expect_error("InvalidRequestException", "larger than 8388608", status=413):
        create(gamelift, zip_bytes)
    # Nothing was stored, and the next upload works.
    script = create(gamelift)
    assert describe(gamelift, script["ScriptId"]) == script


@pytest.mark.parametrize("tags,message", [
    ([{"Key": f"k{i}", "Value": "v"} for i in range(201)], "200"),
    ([{"Key": "", "Value": "v"}], "key"),
    ([{"Key": "k" * 129, "Value": "v"}], "key"),
    ([{"Key": "k", "Value": "v" * 257}], "value"),
    ([{"Key": "k"}], "value.*must not be null"),
    ([{"Key": "k", "Value": "a"}, {"Key": "k", "Value": "b"}], "same key"),
], ids=["too-many", "empty-key", "long-key", "long-value", "no-value", "duplicate"])
def test_bad_tags_fail_tagging(gamelift_unvalidated, tags, message):
    with expect_error("TaggingFailedException", message):
        gamelift_unvalidated.create_script(ZipFile=hello_zip(), Tags=tags)


def test_good_tags_are_accepted(gamelift):
    tags = [{"Key": f"k{i}", "Value": "v" * 256} for i in range(200)]
    tags[0] = {"Key": "k" * 128, "Value": ""}
    assert create(gamelift, Tags=tags)["ScriptId"]


# ---- The zip rules -----------------------------------------------------------------------

BOMB = " " * (16 * 1024 * 1024 + 1)  # Compresses to kilobytes; unpacks past the limit.


@pytest.mark.parametrize("zip_bytes,message", [
    (b"definitely not a zip", "not a valid zip archive"),
    (make_zip({"index.js": INDEX, "../evil.js": "1"}), r"\.\./evil\.js: paths in the zip must stay inside"),
    (make_zip({"index.js": INDEX, "/etc/evil.js": "1"}), "/etc/evil.js: paths in the zip must stay inside"),
    (make_zip({"index.js": INDEX}, symlinks=[("lib/util.js", "/etc/passwd")]),
     "lib/util.js is a symbolic link"),
    (make_zip({"main.js": INDEX}), "no entry file: looked for index.js"),
    (make_zip({"a/index.js": INDEX, "b/index.js": INDEX}), "looked for index.js"),
    (make_zip({"index.js": INDEX, "lib/util.js": "exports.greet = ;\n"}),
     "lib/util.js does not compile"),
    (make_zip({"index.js": INDEX, "lib/util.js": b"\xff\xfe"}), "lib/util.js is not UTF-8 text"),
    (make_zip({"index.js": INDEX, "config.json": "{"}), "config.json is not valid JSON"),
    (make_zip({"index.js": INDEX, "big.js": BOMB}), "unpack to more than 16777216 bytes"),
    (make_zip({"index.js": INDEX, **{f"f{i}.txt": "" for i in range(1000)}}),
     "more than 1000 files"),
], ids=["not-zip", "traversal", "absolute", "symlink", "no-entry", "two-roots", "syntax",
        "not-utf8", "bad-json", "bomb", "file-count"])
def test_bad_zips_are_refused_with_a_clear_message(gamelift, zip_bytes, message):
    before = list_ids(gamelift)
    with expect_error("InvalidRequestException", message):
        create(gamelift, zip_bytes)
    assert list_ids(gamelift) == before


def test_a_zip_of_one_folder_uses_the_folder_as_root(gamelift):
    # What "compress folder" makes, macOS metadata included.
    zip_bytes = make_zip({
        "game/index.js": INDEX,
        "game/lib/util.js": UTIL,
        "game/README.md": "not loaded",
        "__MACOSX/game/._index.js": b"\x00\x05\x16\x07 resource fork",
    })
    assert_script(create(gamelift, zip_bytes, Name="folder"), zip_bytes, Name="folder")


# ---- ListScripts paging ------------------------------------------------------------------


def test_list_scripts_pages_in_creation_order(fresh_gamelift):
    client = fresh_gamelift
    empty = client.list_scripts()
    assert empty["Scripts"] == [] and "NextToken" not in empty
    created = [create(client, Name=f"s{i}")["ScriptId"] for i in range(5)]
    first = client.list_scripts(Limit=2)
    assert [s["ScriptId"] for s in first["Scripts"]] == created[:2]
    second = client.list_scripts(Limit=2, NextToken=first["NextToken"])
    assert [s["ScriptId"] for s in second["Scripts"]] == created[2:4]
    assert second["NextToken"] != first["NextToken"]
    last = client.list_scripts(Limit=2, NextToken=second["NextToken"])
    assert [s["ScriptId"] for s in last["Scripts"]] == created[4:]
    assert "NextToken" not in last
    assert list_ids(client, page_size=2) == created
    assert list_ids(client) == created
    # A deleted script leaves its page without repeating or skipping others.
    client.delete_script(ScriptId=created[2])
    page = client.list_scripts(Limit=2, NextToken=first["NextToken"])
    assert [s["ScriptId"] for s in page["Scripts"]] == created[3:5]
    # Limits above the cap are reduced; whole listings carry full Script objects.
    everything = client.list_scripts(Limit=1000)
    assert [s["ScriptId"] for s in everything["Scripts"]] == created[:2] + created[3:]
    assert all(set(s) == SCRIPT_MEMBERS - {"Version"} for s in everything["Scripts"])


def test_list_scripts_refuses_bad_paging(gamelift_unvalidated, gamelift):
    with expect_error("InvalidRequestException", "limit"):
        gamelift_unvalidated.list_scripts(Limit=0)
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift_unvalidated.list_scripts(NextToken="garbage")
    # A token of another operation.
    for _ in range(2):
        create_game(gamelift)
    token = gamelift.describe_game_sessions(FleetId=FLEET_ID, Limit=1)["NextToken"]
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.list_scripts(NextToken=token)


# ---- The AWS CLI -------------------------------------------------------------------------


def test_the_cli_manages_scripts(fresh_server, tmp_path):
    path = tmp_path / "script.zip"
    path.write_bytes(hello_zip())
    before = time.time()
    script = aws_cli(
        fresh_server, "create-script", "--name", "cli", "--script-version", "1.0",
        "--zip-file", f"fileb://{path}", "--node-js-version", "24.x",
    ).json()["Script"]
    assert_script(script, hello_zip(), Name="cli", Version="1.0", NodeJsVersion="24.x")
    assert before - 1 <= script["CreationTime"] <= time.time() + 1

    described = aws_cli(
        fresh_server, "describe-script", "--script-id", script["ScriptArn"],
        endpoint_from_env=True,
    ).json()["Script"]
    assert described == script

    for i in range(4):
        aws_cli(fresh_server, "create-script", "--name", f"more{i}",
                "--zip-file", f"fileb://{path}").json()
    listed = aws_cli(fresh_server, "list-scripts", "--page-size", "2").json()
    assert len(listed["Scripts"]) == 5, listed
    assert listed["Scripts"][0] == script
    assert "NextToken" not in listed
    one_page = aws_cli(fresh_server, "list-scripts", "--limit", "2", "--no-paginate").json()
    assert len(one_page["Scripts"]) == 2 and "NextToken" in one_page

    bigger = tmp_path / "bigger.zip"
    bigger.write_bytes(hello_zip(**{"lib/more.js": "exports.n = 42;\n" * 50}))
    updated = aws_cli(
        fresh_server, "update-script", "--script-id", script["ScriptId"],
        "--script-version", "2.0", "--zip-file", f"fileb://{bigger}",
    ).json()["Script"]
    assert (updated["Version"], updated["SizeOnDisk"]) == ("2.0", bigger.stat().st_size)

    deleted = aws_cli(fresh_server, "delete-script", "--script-id", script["ScriptId"])
    assert deleted.returncode == 0, deleted.stderr
    missing = aws_cli(fresh_server, "describe-script", "--script-id", script["ScriptId"])
    assert missing.returncode != 0
    assert (
        "An error occurred (NotFoundException) when calling the DescribeScript operation"
        in missing.stderr
    ), missing.stderr


def test_the_cli_shows_why_a_zip_is_refused(server, tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(make_zip({"index.js": "exports.ssExports = {\n"}))
    result = aws_cli(server, "create-script", "--zip-file", f"fileb://{path}")
    assert result.returncode != 0
    assert "(InvalidRequestException)" in result.stderr, result.stderr
    assert "index.js does not compile" in result.stderr, result.stderr


# ---- Storage -----------------------------------------------------------------------------


def test_scripts_survive_a_restart(server_factory, tmp_path):
    overrides = {"scripts": {"data_dir": str(tmp_path / "shared")}}
    first = server_factory(overrides)
    client = make_client(first)
    kept = create(client, Name="kept", Version="1.0")
    updated_zip = hello_zip(**{"lib/more.js": "exports.n = 1;\n"})
    updated = client.update_script(ScriptId=kept["ScriptId"], Version="2.0",
                                   ZipFile=updated_zip)["Script"]
    gone = create(client, Name="gone")
    client.delete_script(ScriptId=gone["ScriptId"])
    first.stop()  # SIGKILL: nothing is flushed on the way out.

    second = server_factory(overrides)
    client = make_client(second)
    assert describe(client, kept["ScriptId"]) == updated
    assert updated["SizeOnDisk"] == len(updated_zip)
    assert list_ids(client) == [kept["ScriptId"]]
    with expect_error("NotFoundException"):
        describe(client, gone["ScriptId"])


def test_a_server_without_scripts_writes_nothing(fresh_server, fresh_gamelift):
    fresh_gamelift.list_scripts()
    create_game(fresh_gamelift)
    data_dir = Path(fresh_server.config["scripts"]["data_dir"])
    assert not data_dir.exists(), data_dir
    create(fresh_gamelift)
    assert (data_dir / "scripts").is_dir()


# ---- The fleet's script ------------------------------------------------------------------


def sources(tmp_path):
    """A script as a directory, a single .js file and a .zip."""
    directory = tmp_path / "game"
    (directory / "lib").mkdir(parents=True)
    (directory / "index.js").write_text(INDEX)
    (directory / "lib" / "util.js").write_text(UTIL)
    (directory / "README.md").write_text("not loaded")
    single = tmp_path / "single.js"
    single.write_text("exports.ssExports = { init: function () {} };\n")
    packed = tmp_path / "packed.zip"
    packed.write_bytes(hello_zip())
    return {"directory": directory, "js": single, "zip": packed}


def assert_fleet_script(client, script_id):
    attributes = fleet_attributes(client)
    assert attributes["ScriptId"] == script_id
    assert attributes["ScriptArn"] == SCRIPT_ARN_PREFIX + script_id
    for filter_ in (script_id, SCRIPT_ARN_PREFIX + script_id):
        assert client.list_fleets(ScriptId=filter_)["FleetIds"] == [FLEET_ID]
    other = "script-00000000-0000-4000-8000-000000000000"
    assert client.list_fleets(ScriptId=other)["FleetIds"] == []
    with expect_error("InvalidRequestException", "cannot be deleted while the fleet uses it"):
        client.delete_script(ScriptId=script_id)
    with expect_error("InvalidRequestException", "cannot be deleted"):
        client.delete_script(ScriptId=SCRIPT_ARN_PREFIX + script_id)
    assert describe(client, script_id)["ScriptId"] == script_id


@pytest.mark.parametrize("kind,name", [("directory", "game"), ("js", "single.js"),
                                       ("zip", "packed.zip")])
def test_serve_script_registers_the_fleet_script(server_factory, tmp_path, kind, name):
    path = sources(tmp_path)[kind]
    overrides = {"scripts": {"data_dir": str(tmp_path / "data")}}
    first = server_factory(overrides, args=["--script", str(path)])
    client = make_client(first)
    (script,) = client.list_scripts()["Scripts"]
    assert script["Name"] == name
    assert script["NodeJsVersion"] == "10.x"
    assert "Version" not in script
    assert_fleet_script(client, script["ScriptId"])
    if kind == "zip":
        assert script["SizeOnDisk"] == path.stat().st_size
    first.stop()

    # The same path again: the same script, not a copy.
    second = server_factory(overrides, args=["--script", str(path)])
    client = make_client(second)
    assert client.list_scripts()["Scripts"] == [script]
    assert_fleet_script(client, script["ScriptId"])


def test_serve_script_updates_the_script_when_the_files_change(server_factory, tmp_path):
    path = sources(tmp_path)["directory"]
    overrides = {"scripts": {"data_dir": str(tmp_path / "data")}}
    first = server_factory(overrides, args=["--script", str(path)])
    (before,) = make_client(first).list_scripts()["Scripts"]
    first.stop()
    (path / "lib" / "more.js").write_text("exports.more = '" + "x" * 2000 + "';\n")
    second = server_factory(overrides, args=["--script", str(path)])
    client = make_client(second)
    (after,) = client.list_scripts()["Scripts"]
    assert after["ScriptId"] == before["ScriptId"]
    assert after["CreationTime"] == before["CreationTime"]
    assert after["SizeOnDisk"] > before["SizeOnDisk"]
    assert_fleet_script(client, after["ScriptId"])


def test_scripts_script_id_names_the_fleet_script(server_factory, tmp_path):
    overrides = {"scripts": {"data_dir": str(tmp_path / "data")}}
    first = server_factory(overrides)
    client = make_client(first)
    assert "ScriptId" not in fleet_attributes(client)
    assert client.list_fleets(ScriptId="script-1")["FleetIds"] == []
    script = create(client, Name="configured")
    other = create(client, Name="other")
    first.stop()

    bound = {"scripts": {**overrides["scripts"], "script_id": script["ScriptId"]}}
    second = server_factory(bound)
    client = make_client(second)
    assert_fleet_script(client, script["ScriptId"])
    # Other scripts stay deletable, and the fleet's script stays updatable.
    client.delete_script(ScriptId=other["ScriptId"])
    updated = client.update_script(ScriptId=script["ScriptId"], Version="2")["Script"]
    assert updated["Version"] == "2"
    second.stop()

    # --script wins over scripts.script_id.
    path = sources(tmp_path)["js"]
    third = server_factory(bound, args=["--script", str(path)])
    client = make_client(third)
    attributes = fleet_attributes(client)
    assert attributes["ScriptId"] != script["ScriptId"]
    assert describe(client, attributes["ScriptId"])["Name"] == "single.js"
    client.delete_script(ScriptId=script["ScriptId"])


def test_an_unknown_scripts_script_id_stops_the_server(tmp_path):
    missing = "script-00000000-0000-4000-8000-000000000000"
    _, stderr = failed_start(tmp_path / "server", {"scripts": {"script_id": missing}})
    assert f"scripts.script_id {missing} names no script stored in" in stderr, stderr


def test_a_bad_script_path_stops_the_server(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "index.js").write_text("exports.ssExports = {\n")
    _, stderr = failed_start(tmp_path / "a", args=["--script", str(broken)])
    assert f"cannot use --script {broken}: index.js does not compile" in stderr, stderr

    missing = tmp_path / "missing.js"
    _, stderr = failed_start(tmp_path / "b", args=["--script", str(missing)])
    assert f"cannot use --script {missing}: cannot read {missing}" in stderr, stderr

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    _, stderr = failed_start(tmp_path / "c", args=["--script", str(text)])
    assert "is not a .js file, a .zip or a directory" in stderr, stderr
    # Nothing was stored.
    for server in "abc":
        assert not (tmp_path / server / "data").exists()
