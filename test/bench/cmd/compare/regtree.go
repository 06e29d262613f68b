package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"slices"
	"time"
)

// regTree is a generated registry tree: distribution's filesystem layout
// (docker/registry/v2: content-addressed blobs, repositories with layer
// links, manifest revisions and tags, an upload session), random content.
type regTree struct {
	blobs           int
	blobBytes       int64
	metaFiles       int
	metaBytes       int64
	digests         []string // hex sha256 of every blob
	repoPrefix      string   // every repository lives under repositories/<repoPrefix>/
	sizeLo, sizeMed int64    // the smallest blob, the median blob
	sizeHi          int64    // the largest blob
}

func (t *regTree) bytes() int64 { return t.blobBytes + t.metaBytes }

// regBlobSize is the size of blob i of n for a tree of about total bytes:
// 5% of the blobs (layers) hold 80% of the bytes, 15% hold 16%, the other
// 80% (configs, small layers) 4%.
func regBlobSize(i, n int, total int64) int64 {
	scale := float64(total) / float64(n)
	var s float64
	switch {
	case i%20 == 0:
		s = scale * 16 * (0.5 + float64(i%7)/6)
	case i%5 == 0:
		s = scale * 16 / 15 * (0.5 + float64(i%11)/10)
	default:
		s = scale * 0.05 * (0.5 + float64(i%13)/12)
	}
	return max(1, int64(s))
}

// writeRegTree writes the tree as a tar stream to w (paths relative to the
// storage root, so `tar -x -C ROOT` lays it down).
func writeRegTree(ctx context.Context, w io.Writer, n int, total int64, repoPrefix string) (*regTree, error) {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(time.Now().UnixNano()))
	rng := rand.NewChaCha8(seed)
	tw := tar.NewWriter(w)
	t := &regTree{blobs: n, repoPrefix: repoPrefix}
	now := time.Now()
	add := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(b)), Mode: 0o644, ModTime: now}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	meta := func(name, content string) error {
		t.metaFiles++
		t.metaBytes += int64(len(content))
		return add(name, []byte(content))
	}
	v2 := "docker/registry/v2"
	var sizes []int64
	buf := make([]byte, 0, 32<<20)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		size := regBlobSize(i, n, total)
		sizes = append(sizes, size)
		buf = buf[:size]
		_, _ = rng.Read(buf) // ChaCha8 never fails
		sum := sha256.Sum256(buf)
		d := hex.EncodeToString(sum[:])
		t.digests = append(t.digests, d)
		t.blobBytes += size
		if err := add(path.Join(v2, "blobs/sha256", d[:2], d, "data"), buf); err != nil {
			return nil, err
		}
		repo := path.Join(v2, "repositories", repoPrefix, fmt.Sprintf("team%d/app", i%3))
		if err := meta(path.Join(repo, "_layers/sha256", d, "link"), "sha256:"+d); err != nil {
			return nil, err
		}
		if i%50 == 0 {
			if err := meta(path.Join(repo, "_manifests/revisions/sha256", d, "link"), "sha256:"+d); err != nil {
				return nil, err
			}
			if err := meta(path.Join(repo, "_manifests/tags", fmt.Sprintf("v%d", i), "current/link"), "sha256:"+d); err != nil {
				return nil, err
			}
		}
	}
	// An upload session: not registry data (registry_sync leaves it out).
	if err := add(path.Join(v2, "repositories", repoPrefix, "team0/app/_uploads/0b7c/data"), []byte("partial")); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	slices.Sort(sizes)
	t.sizeLo, t.sizeMed, t.sizeHi = sizes[0], sizes[len(sizes)/2], sizes[len(sizes)-1]
	return t, nil
}

// placeRegTree generates a tree of n blobs and about total bytes straight
// into root on node (tar through nsenter: nothing on the controller's disk).
func (b *bench) placeRegTree(ctx context.Context, node, root string, n int, total int64, repoPrefix string, fresh bool) (*regTree, error) {
	pr, pw := io.Pipe()
	type gen struct {
		t   *regTree
		err error
	}
	done := make(chan gen, 1)
	go func() {
		t, err := writeRegTree(ctx, pw, n, total, repoPrefix)
		pw.CloseWithError(err)
		done <- gen{t, err}
	}()
	clear := ""
	if fresh {
		clear = "rm -rf " + root + " && "
	}
	_, err := b.onNode(ctx, node, clear+"mkdir -p "+root+" && tar -x --no-same-owner -C "+root+" -f -", pr, 15*time.Minute)
	pr.CloseWithError(io.ErrClosedPipe) // the generator stops if tar did
	g := <-done
	if err != nil {
		return nil, err
	}
	return g.t, g.err
}

// regListing is a command printing one line per registry file under root
// (size and path, upload sessions left out), sorted, hashed: two trees with
// the same listing hold the same files with the same sizes.
func regListing(root string) string {
	return "cd " + root + "/docker/registry/v2 && find blobs repositories -type f ! -path '*/_uploads/*' -printf '%s %P\\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1"
}
