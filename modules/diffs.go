package modules

// Diffs the file and text modules return: headed "HOST:PATH (what)".

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// diffHeader is the header of a diff about path p on host.
func diffHeader(host, p, what string) string { return host + ":" + p + " (" + what + ")" }

// pathDiff is a diff of p under the same header before and after.
func pathDiff(host, p, what, before, after string) Diff {
	h := diffHeader(host, p, what)
	return Diff{BeforeHeader: h, AfterHeader: h, Before: before, After: after}
}

// stateDiff shows a path going from one state to another ("state: absent"
// to "state: directory"), with any other "key: value" lines given.
func stateDiff(host, p string, before, after []string) Diff {
	text := func(lines []string) string { return "path: " + p + "\n" + strings.Join(lines, "\n") + "\n" }
	return pathDiff(host, p, "state", text(before), text(after))
}

// diffLimit is the largest content shown in a diff.
const diffLimit = 100 << 10

// diffSide returns text for one side of a content diff, or a line saying why
// the content is not shown (larger than 100 KiB, or binary).
func diffSide(size int64, sum string, read func(io.Writer) error) (string, error) {
	if size > diffLimit {
		return fmt.Sprintf("(%d bytes, larger than 100 KiB: content not shown; sha256 %s)\n", size, sum), nil
	}
	var buf bytes.Buffer
	if err := read(&buf); err != nil {
		return "", err
	}
	if bytes.IndexByte(buf.Bytes(), 0) >= 0 || !utf8.Valid(buf.Bytes()) {
		return fmt.Sprintf("(binary content, %d bytes: not shown; sha256 %s)\n", buf.Len(), sum), nil
	}
	return buf.String(), nil
}

// textDiffLimit bounds the content kept in a diff; the reporter shows
// nothing beyond 100 KiB anyway.
const textDiffLimit = 1 << 20

// textContentDiff is the before/after of a text module's file content. The
// file modules' content diff (copyWriter.contentDiff, with diffSide) differs:
// it streams each side, shows at most 100 KiB of each and no binary content,
// and heads a new file "(absent)".
func textContentDiff(mc *Context, tf *textFile, after []byte) Diff {
	d := pathDiff(mc.Host, tf.Path, "content", string(tf.Data), string(after))
	if len(tf.Data) > textDiffLimit || len(after) > textDiffLimit {
		d.Before = fmt.Sprintf("(%d bytes: diff not shown)\n", len(tf.Data))
		d.After = fmt.Sprintf("(%d bytes: diff not shown)\n", len(after))
	}
	return d
}

// textAttrDiff shows the mode, owner and group of a text module's file
// before and after (all three, changed or not).
func textAttrDiff(host, p string, pl attrPlan) Diff {
	text := func(mode uint32, uid, gid int) string {
		return fmt.Sprintf("mode: %s\nowner: %d\ngroup: %d\n", fmtMode(mode), uid, gid)
	}
	return pathDiff(host, p, "file attributes", text(pl.oldMode, pl.oldUID, pl.oldGID), text(pl.newMode, pl.newUID, pl.newGID))
}
