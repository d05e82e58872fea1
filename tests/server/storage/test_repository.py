"""ArtifactRepository: client path validation, root confinement, and the local and fsspec code paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from regista.errors import InvalidParameter, NotFound
from regista.server.storage.repository import ArtifactRepository, is_temp_name, validate_client_path


class TestValidateClientPath:
    @pytest.mark.parametrize(
        "path, expected",
        [("a/b.txt", "a/b.txt"), ("a//b/./c", "a/b/c"), ("", ""), ("my file%20.txt", "my file%20.txt")],
    )
    def test_accepts_and_normalises_relative_paths(self, path: str, expected: str) -> None:
        assert validate_client_path(path) == expected

    @pytest.mark.parametrize(
        "path",
        [
            "..",
            "../x",
            "a/../../x",
            "a/..",
            "%2e%2e/x",
            "%2E%2e/x",
            "%252e%252e/x",
            "..%2fx",
            "a\\\\..\\\\x",
            "/etc/passwd",
            "%2fetc/passwd",
            "\\\\server\\\\share",
            "C:/Windows",
            "a\x00b",
            "a\nb",
            "%00",
        ],
    )
    def test_refuses_escapes_and_control_characters(self, path: str) -> None:
        with pytest.raises(InvalidParameter):
            validate_client_path(path)


class TestTempNames:
    def test_only_our_upload_temporaries_count(self) -> None:
        assert is_temp_name(f".model.pkl.{'a1' * 16}.part")
        assert not is_temp_name("model.part")
        assert not is_temp_name(".hidden.part")


class TestLocalRepository:
    def test_symlinked_directory_out_of_the_root_is_refused(self, tmp_path: Path) -> None:
        root, outside = tmp_path / "root", tmp_path / "outside"
        outside.mkdir()
        repo = ArtifactRepository(str(root))
        (root / "link").symlink_to(outside, target_is_directory=True)
        (outside / "secret").write_text("s")
        for call in (
            lambda: repo.write_bytes("link/x", b"x"),
            lambda: repo.list_dir("link"),
            lambda: repo.local_file("link/secret"),
            lambda: list(repo.iter_file("link/secret")),
        ):
            with pytest.raises(InvalidParameter):
                call()
        assert sorted(os.listdir(outside)) == ["secret"]

    def test_deleting_a_symlink_removes_the_link_not_the_target(self, tmp_path: Path) -> None:
        root, outside = tmp_path / "root", tmp_path / "outside"
        outside.mkdir()
        (outside / "keep").write_text("k")
        repo = ArtifactRepository(str(root))
        (root / "link").symlink_to(outside, target_is_directory=True)
        repo.delete("link")
        assert not (root / "link").exists() and (outside / "keep").exists()

    def test_copy_tree_links_files_that_survive_the_source(self, tmp_path: Path) -> None:
        repo = ArtifactRepository(str(tmp_path / "root"))
        repo.write_bytes("run/model/MLmodel", b"m")
        repo.write_bytes("run/model/x.part", b"a user file ending in .part")
        assert repo.copy_tree("run/model", "_registry/v1") == 2
        repo.delete("run")
        assert b"".join(repo.iter_file("_registry/v1/MLmodel")) == b"m"
        assert repo.local_file("_registry/v1/x.part")[1].st_size > 0

    def test_copy_tree_copies_regular_files_only_and_never_a_links_target(self, tmp_path: Path) -> None:
        root, outside = tmp_path / "root", tmp_path / "outside"
        outside.mkdir()
        (outside / "secret").write_text("s")
        repo = ArtifactRepository(str(root))
        repo.write_bytes("run/model/MLmodel", b"m")
        repo.write_bytes("other/file", b"o")
        (root / "run/model/to-file").symlink_to(outside / "secret")
        (root / "run/model/to-dir").symlink_to(outside, target_is_directory=True)
        (root / "run/model/inside").symlink_to(root / "other/file")
        assert repo.copy_tree("run/model", "_registry/v1") == 1
        assert sorted(os.listdir(root / "_registry/v1")) == ["MLmodel"]

    def test_copy_tree_refuses_a_source_that_goes_through_a_link(self, tmp_path: Path) -> None:
        root, outside = tmp_path / "root", tmp_path / "outside"
        (outside / "model").mkdir(parents=True)
        (outside / "model" / "MLmodel").write_text("m")
        repo = ArtifactRepository(str(root))
        repo.write_bytes("run/keep", b"k")
        (root / "run/link").symlink_to(outside, target_is_directory=True)
        (root / "run/file-link").symlink_to(outside / "model" / "MLmodel")
        for source in ("run/link", "run/link/model", "run/file-link"):
            with pytest.raises(InvalidParameter):
                repo.copy_tree(source, "_registry/v1")
        assert not (root / "_registry").exists()

    def test_copy_tree_path_too_long_for_the_target_is_invalid(self, tmp_path: Path) -> None:
        repo = ArtifactRepository(str(tmp_path / "root"))
        repo.write_bytes("m/f", b"x")
        with pytest.raises(InvalidParameter):
            repo.copy_tree("m", "/".join(["d" * 250] * 20))

    def test_last_modified_is_the_newest_directory_change(self, tmp_path: Path) -> None:
        repo = ArtifactRepository(str(tmp_path / "root"))
        repo.write_bytes("c/sub/f", b"x")
        for d in ("c", "c/sub"):
            os.utime(tmp_path / "root" / d, (1000, 1000))
        assert repo.last_modified("c") == 1000
        os.utime(tmp_path / "root" / "c/sub", (5000, 5000))
        assert repo.last_modified("c") == 5000

    def test_last_modified_of_a_linked_file_is_when_it_was_linked(self, tmp_path: Path) -> None:
        # A single-file copy is a hard link, which keeps the source's old mtime: it must not look old.
        repo = ArtifactRepository(str(tmp_path / "root"))
        repo.write_bytes("run/model.pkl", b"x")
        os.utime(tmp_path / "root" / "run/model.pkl", (1000, 1000))
        repo.copy_tree("run/model.pkl", "_registry/copy")
        assert (tmp_path / "root/_registry/copy").stat().st_mtime == 1000
        assert repo.last_modified("_registry/copy") > 1000
        assert repo.last_modified("nothing/here") is None

    def test_local_file_distinguishes_missing_and_directories(self, tmp_path: Path) -> None:
        repo = ArtifactRepository(str(tmp_path / "root"))
        repo.write_bytes("d/f", b"x")
        with pytest.raises(NotFound):
            repo.local_file("d/nope")
        with pytest.raises(NotFound):
            repo.local_file("d/f/under-a-file")
        with pytest.raises(InvalidParameter):
            repo.local_file("d")


class TestFsspecRepository:
    @pytest.fixture
    def repo(self, tmp_path: Path) -> ArtifactRepository:
        # fsspec's memory filesystem takes the object-store code path (no local paths, no links).
        return ArtifactRepository(f"memory://{tmp_path.name}")

    def test_write_list_read_copy_delete(self, repo: ArtifactRepository) -> None:
        assert not repo.is_local
        repo.write_bytes("a/b/c.txt", b"hello")
        assert [(e.path, e.is_dir) for e in repo.list_dir("a")] == [("b", True)]
        assert repo.file_size("a/b/c.txt") == 5
        assert b"".join(repo.iter_file("a/b/c.txt")) == b"hello"
        assert repo.copy_tree("a", "_registry/x") == 1
        repo.delete("a")
        assert not repo.is_dir("a")
        assert b"".join(repo.iter_file("_registry/x/b/c.txt")) == b"hello"
        assert repo.last_modified("_registry/x") is not None

    def test_errors(self, repo: ArtifactRepository) -> None:
        repo.write_bytes("d/f", b"x")
        with pytest.raises(NotFound):
            repo.file_size("d/nope")
        with pytest.raises(InvalidParameter):
            repo.file_size("d")
        with pytest.raises(InvalidParameter):
            repo.delete("")
        assert repo.list_dir("d/f") == [] and repo.list_dir("nope") == []
