package lab

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// SeedImage is one small image that Seed pushes into the registry on
// master0. Its content is random but reproducible (a fixed PRNG seed), so
// every lab holds the same digests.
type SeedImage struct {
	// Repo and Tag name the image under sea.hub:5000.
	Repo, Tag string
	// Layers and LayerSize give the number of layers and the bytes of
	// random data in each.
	Layers, LayerSize int
	// Seed makes the content reproducible.
	Seed int64
}

// SeedImages are the images a seeded registry holds: names a sealer
// Kubernetes v1.31 cluster image carries, with small random layers.
var SeedImages = []SeedImage{
	{Repo: "pause", Tag: "3.10", Layers: 1, LayerSize: 64 << 10, Seed: 1},
	{Repo: "coredns/coredns", Tag: "v1.11.3", Layers: 2, LayerSize: 256 << 10, Seed: 2},
	{Repo: "sealerio/lvscare", Tag: "v1.1.3-beta.8", Layers: 2, LayerSize: 128 << 10, Seed: 3},
}

// Ref is the image's reference, e.g. sea.hub:5000/pause:3.10.
func (s SeedImage) Ref() string { return RegistryURL() + "/" + s.Repo + ":" + s.Tag }

// Image builds the image (linux/amd64, Docker schema 2).
func (s SeedImage) Image() (v1.Image, error) {
	rng := rand.New(rand.NewSource(s.Seed))
	img := empty.Image
	for i := 0; i < s.Layers; i++ {
		data := make([]byte, s.LayerSize)
		rng.Read(data)
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		files := []struct {
			name string
			body []byte
		}{
			{fmt.Sprintf("lab/%s/layer%d.bin", s.Repo, i), data},
			{fmt.Sprintf("lab/%s/layer%d.txt", s.Repo, i), []byte(fmt.Sprintf("runbook lab image %s layer %d\n", s.Ref(), i))},
		}
		for _, f := range files {
			hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
			if err := tw.WriteHeader(hdr); err != nil {
				return nil, err
			}
			if _, err := tw.Write(f.body); err != nil {
				return nil, err
			}
		}
		if err := tw.Close(); err != nil {
			return nil, err
		}
		b := buf.Bytes()
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			return nil, err
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return nil, err
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Cmd = []string{"/lab/" + s.Repo}
	cfg.Config.Labels = map[string]string{"dev.runbook.lab": "seed"}
	return mutate.ConfigFile(img, cfg)
}

// PushImages pushes images to the registry on node n through its real TLS
// and htpasswd front door, as sea.hub:5000 (what a tool pushing to one
// registry of the cluster does).
func (l *Lab) PushImages(ctx context.Context, n Node, images []SeedImage) error {
	reg, err := l.ensureRegistrySecrets()
	if err != nil {
		return err
	}
	return l.pushImages(ctx, reg, n, images)
}

// pushImages pushes images to the registry on n, as sea.hub:5000.
func (l *Lab) pushImages(ctx context.Context, reg registrySecrets, n Node, images []SeedImage) error {
	ca, err := os.ReadFile(l.RegistryCAPath())
	if err != nil {
		return err
	}
	tr, err := labTransport(ca, map[string]string{RegistryURL(): n.Addr(RegistryPort)})
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections()
	auth := &authn.Basic{Username: RegistryUser, Password: reg.password}
	for _, s := range images {
		ref, err := name.ParseReference(s.Ref())
		if err != nil {
			return err
		}
		img, err := s.Image()
		if err != nil {
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err = remote.Write(ref, img, remote.WithAuth(auth), remote.WithTransport(tr), remote.WithContext(pctx))
		cancel()
		if err != nil {
			return fmt.Errorf("lab: pushing %s to %s: %w", s.Ref(), n.Name, err)
		}
	}
	return nil
}
