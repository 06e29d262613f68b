// Package ssh is the SSH transport: Dial returns a *Conn, a
// transport.Transport for one host.
//
// Connection. One TCP connection per host carries every session
// (multiplexed, at most maxSessions at once, the rest wait) plus one
// long-lived SFTP channel opened on the first file operation. Connecting
// (TCP connect and SSH handshake together) is bounded by Config.Timeout; a
// peer that accepts TCP and never speaks fails after it. After a few seconds
// (Timeout/3, at most 5s) without a word from the peer a
// keepalive@openssh.com request is sent (a busy connection sends none); a
// peer that leaves one unanswered for Timeout is declared dead, the connection is
// closed and every pending operation fails with transport.UnreachableError.
// An operation that finds the connection dead reconnects once; if that fails
// the Conn stays unreachable and later operations fail at once. A jump host
// (ProxyJump) or a ProxyCommand (run locally, the connection on its stdin
// and stdout) is used when configured, never gone around.
//
// Security. Host keys are checked against known_hosts (unknown hosts are
// refused unless AcceptNewHostKeys, changed keys always; unparsable lines are
// skipped with a warning and @cert-authority lines vouch only for
// certificates, as in OpenSSH); authentication
// follows OpenSSH's order (agent keys, key files, keyboard-interactive,
// password); the jump host never receives the target's password. Secrets
// are never put on a command line or in a message, and every error and log
// line is scrubbed of them as a safety net.
//
// Commands. Run builds one line with transport.ShellLine (env through
// `env K=V`, every value quoted). With Become, whether sudo wants a password
// is probed once per become user with `sudo -n true`; if it does, the
// password is checked once with `sudo -k -S true` (empty prompt; stdin ends after
// it, so a wrong password fails at once instead of re-prompting) and is then
// fed as the first line of the command's stdin. Each command first prints
// its remote session id on stderr (stripped there); cancelling the context
// ends every process of that session over a fresh channel (see abort.go).
//
// Files. Stat, ReadFile and WriteFile use SFTP; WriteFile goes through a
// temporary file in the target directory and a posix-rename. With Become,
// WriteFile streams through one sudo'd shell instead, with framing that
// refuses a truncated stream or stray input before the content. Stat,
// Checksum and ReadFile run as the login user and report a refusal as
// fs.ErrPermission; transport.StatAs, ChecksumAs and ReadFileAs then ask
// again through sudo as the become user.
package ssh
