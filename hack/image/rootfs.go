package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"time"
)

// Paths and the user inside the image.
const (
	binaryPath = "/edge-controller-manager"
	caPath     = "/etc/ssl/certs/ca-certificates.crt"
	// nonRootID is the uid and gid the manager runs as: distroless's
	// "nonroot", which manifests/deploy also names (runAsUser 65532).
	nonRootID = 65532
	homeDir   = "/home/nonroot"
)

// passwd and group name the users so that tools (and Go's os/user) can
// resolve uid 65532; neither has a password or a login shell.
var (
	passwd = fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", nonRootID, nonRootID, homeDir)
	group  = fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonRootID)
)

// entry is one file or directory of the layer.
type entry struct {
	path     string // absolute in the image
	mode     int64  // permission bits (and sticky)
	uid, gid int
	dir      bool
	data     []byte
}

// rootFS lists the layer's content: the binary, the CA bundle (when
// given), the user database, a home the user owns and /tmp. Nothing needs
// to be written at run time, so the root file system may be read-only.
func rootFS(binary, caBundle []byte) []entry {
	es := []entry{
		{path: binaryPath, mode: 0o755, data: binary},
		{path: "/etc", mode: 0o755, dir: true},
		{path: "/etc/group", mode: 0o644, data: []byte(group)},
		{path: "/etc/passwd", mode: 0o644, data: []byte(passwd)},
	}
	if caBundle != nil {
		es = append(es,
			entry{path: "/etc/ssl", mode: 0o755, dir: true},
			entry{path: "/etc/ssl/certs", mode: 0o755, dir: true},
			entry{path: caPath, mode: 0o644, data: caBundle},
		)
	}
	return append(es,
		entry{path: "/home", mode: 0o755, dir: true},
		entry{path: homeDir, mode: 0o700, uid: nonRootID, gid: nonRootID, dir: true},
		entry{path: "/tmp", mode: 0o1777, dir: true},
	)
}

// layerTar writes the entries as an uncompressed layer. Every time is
// mtime, so one commit built at one time gives one digest.
func layerTar(es []entry, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{
			Name:    e.path[1:], // layer paths are relative to the root
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: mtime,
		}
		if e.dir {
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readOptional reads path, or returns nil for an empty path.
func readOptional(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	return os.ReadFile(path)
}
