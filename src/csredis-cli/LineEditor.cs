// A small terminal line editor in the manner of linenoise (in its multi-line mode, as redis-cli uses it):
// raw mode through termios, the line redrawn after each key (prompt, text, grey hint), history
// browsing, tab completion, and the usual emacs keys. Also the masked password prompt of --askpass.
using System.Runtime.InteropServices;
using System.Text;

namespace Csredis.Cli;

public sealed class LineHistory(string? path)
{
    private const int MaxLines = 100;
    public readonly List<string> Lines = [];

    public void Load()
    {
        if (path is null || !File.Exists(path)) return;
        try { Lines.AddRange(File.ReadAllLines(path).Where(l => l.Length > 0).TakeLast(MaxLines)); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Add(string line)
    {
        if (Lines.Count > 0 && Lines[^1] == line) return;
        Lines.Add(line);
        if (Lines.Count > MaxLines) Lines.RemoveAt(0);
        if (path is null) return;
        try { File.WriteAllText(path, string.Concat(Lines.Select(l => l + "\n"))); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

public sealed partial class LineEditor(LineHistory history, Func<string, string?> hint, Func<string, IEnumerable<string>> complete)
{
    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static partial int TcGetAttr(int fd, byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static partial int TcSetAttr(int fd, int optionalActions, byte[] termios);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint ReadFd(int fd, ref byte buffer, nint count);

    // Linux struct termios: four tcflag_t words, c_line, then c_cc.
    private const int IflagOffset = 0, OflagOffset = 4, CflagOffset = 8, LflagOffset = 12, CcOffset = 17;
    private const uint BRKINT = 0x2, INPCK = 0x10, ISTRIP = 0x20, ICRNL = 0x100, IXON = 0x400, OPOST = 0x1, CS8 = 0x30;
    private const uint ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, IEXTEN = 0x8000;
    private const int VTIME = 5, VMIN = 6, TCSAFLUSH = 2;

    private static readonly Stream Terminal = Stdio.OpenStandardOutput();

    private static byte[]? EnterRawMode()
    {
        var original = new byte[128];
        if (TcGetAttr(0, original) != 0) return null;
        var raw = (byte[])original.Clone();
        Update(raw, IflagOffset, v => v & ~(BRKINT | ICRNL | INPCK | ISTRIP | IXON));
        Update(raw, OflagOffset, v => v & ~OPOST);
        Update(raw, CflagOffset, v => v | CS8);
        Update(raw, LflagOffset, v => v & ~(ECHO | ICANON | IEXTEN | ISIG));
        raw[CcOffset + VMIN] = 1;
        raw[CcOffset + VTIME] = 0;
        return TcSetAttr(0, TCSAFLUSH, raw) == 0 ? original : null;
    }

    private static void Update(byte[] termios, int offset, Func<uint, uint> change) =>
        BitConverter.TryWriteBytes(termios.AsSpan(offset, 4), change(BitConverter.ToUInt32(termios, offset)));

    private static int ReadByte()
    {
        byte b = 0;
        return ReadFd(0, ref b, 1) == 1 ? b : -1;
    }

    private static void Write(string text)
    {
        Terminal.Write(Encoding.UTF8.GetBytes(text));
        Terminal.Flush();
    }

    public static string? ReadMaskedPassword(string prompt)
    {
        Write(prompt);
        var original = EnterRawMode();
        var text = new StringBuilder();
        try
        {
            while (true)
            {
                int c = ReadByte();
                if (c is -1 or 13 or 10) break;
                if (c == 3) { Write("\n"); return null; }
                if (c is 127 or 8)
                {
                    if (text.Length > 0) { text.Length--; Write("\b \b"); }
                    continue;
                }
                text.Append((char)c);
                Write("*");
            }
        }
        finally
        {
            if (original is not null) TcSetAttr(0, TCSAFLUSH, original);
        }
        Write("\n");
        return text.ToString();
    }

    /// <summary>Reads one edited line; null on Ctrl-C or Ctrl-D on an empty line.</summary>
    public string? ReadLine(string prompt)
    {
        var original = EnterRawMode();
        if (original is null)
        {
            Write(prompt);
            return ReadCookedLine();
        }
        try { return Edit(prompt); }
        finally { TcSetAttr(0, TCSAFLUSH, original); }
    }

    private string? Edit(string prompt)
    {
        var line = new StringBuilder();
        int cursor = 0;
        oldPosition = 0;
        maxRows = 0;
        int historyIndex = history.Lines.Count;
        string? draft = null;
        Refresh(prompt, line, cursor, withHint: true);
        int pushedBack = -1;
        while (true)
        {
            int c = pushedBack >= 0 ? pushedBack : ReadByte();
            pushedBack = -1;
            if (c < 0) return null;
            switch (c)
            {
                case 13:
                case 10:
                    cursor = line.Length;
                    Refresh(prompt, line, cursor, withHint: false);
                    Write("\r\n");
                    return line.ToString();
                case 3:
                    Write("\r\n");
                    return null;
                case 4:
                    if (line.Length == 0) { Write("\r\n"); return null; }
                    if (cursor < line.Length) line.Remove(cursor, 1);
                    break;
                case 127:
                case 8:
                    if (cursor > 0) { line.Remove(--cursor, 1); }
                    break;
                case 1: cursor = 0; break;
                case 5: cursor = line.Length; break;
                case 2: if (cursor > 0) cursor--; break;
                case 6: if (cursor < line.Length) cursor++; break;
                case 11: line.Length = cursor; break;
                case 21: line.Remove(0, cursor); cursor = 0; break;
                case 23:
                {
                    int start = cursor;
                    while (start > 0 && line[start - 1] == ' ') start--;
                    while (start > 0 && line[start - 1] != ' ') start--;
                    line.Remove(start, cursor - start);
                    cursor = start;
                    break;
                }
                case 20:
                    if (cursor > 0 && cursor < line.Length)
                    {
                        (line[cursor - 1], line[cursor]) = (line[cursor], line[cursor - 1]);
                        if (cursor < line.Length - 1) cursor++;
                    }
                    break;
                case 12: Write("\x1b[H\x1b[2J"); break;
                case 16: Browse(-1); break;
                case 14: Browse(1); break;
                case 9:
                    pushedBack = CompleteAt();
                    break;
                case 27:
                {
                    int a = ReadByte(), b = ReadByte();
                    if (a == '[' && b >= '0' && b <= '9')
                    {
                        int tilde = ReadByte();
                        if (b == '3' && tilde == '~' && cursor < line.Length) line.Remove(cursor, 1);
                    }
                    else if (a is '[' or 'O')
                    {
                        if (b == 'A') Browse(-1);
                        else if (b == 'B') Browse(1);
                        else if (b == 'C' && cursor < line.Length) cursor++;
                        else if (b == 'D' && cursor > 0) cursor--;
                        else if (b == 'H') cursor = 0;
                        else if (b == 'F') cursor = line.Length;
                    }
                    break;
                }
                default:
                    if (c >= 32)
                    {
                        line.Insert(cursor++, (char)c);
                    }
                    break;
            }
            Refresh(prompt, line, cursor, withHint: true);
        }

        void Browse(int direction)
        {
            int target = historyIndex + direction;
            if (target < 0 || target > history.Lines.Count) return;
            if (historyIndex == history.Lines.Count) draft = line.ToString();
            historyIndex = target;
            line.Clear().Append(historyIndex == history.Lines.Count ? draft ?? "" : history.Lines[historyIndex]);
            cursor = line.Length;
        }

        // Tab cycles through the candidates (and back to the typed text); Esc restores the typed text;
        // any other key accepts the shown candidate and is then handled normally (returned here).
        int CompleteAt()
        {
            var options = complete(line.ToString()).ToList();
            if (options.Count == 0) { Write("\x07"); return -1; }
            int choice = 0;
            string original = line.ToString();
            while (true)
            {
                string shown = choice < options.Count ? options[choice] : original;
                if (choice == options.Count) Write("\x07");
                Refresh(prompt, new StringBuilder(shown), shown.Length, withHint: true);
                int next = ReadByte();
                if (next == 9)
                {
                    choice = (choice + 1) % (options.Count + 1);
                    continue;
                }
                if (next == 27)
                {
                    line.Clear().Append(original);
                    cursor = line.Length;
                    return -1;
                }
                line.Clear().Append(shown);
                cursor = line.Length;
                return next;
            }
        }
    }

    // Multi-line mode, as redis-cli sets linenoise: a long line wraps onto more rows. Each refresh goes
    // down to the last row used so far, clears the rows upwards, rewrites prompt + text (+ hint), then
    // moves the cursor back to its row and column.
    private int oldPosition;
    private int maxRows;

    private void Refresh(string prompt, StringBuilder line, int cursor, bool withHint)
    {
        int columns = TerminalColumns();
        string text = line.ToString();
        int promptLength = prompt.Length, length = text.Length;
        int rows = (promptLength + length + columns - 1) / columns;
        int cursorRow = (promptLength + oldPosition + columns) / columns;
        int oldRows = maxRows;
        if (rows > maxRows) maxRows = rows;
        var output = new StringBuilder();
        if (oldRows - cursorRow > 0) output.Append("\x1b[").Append(oldRows - cursorRow).Append('B');
        for (int j = 0; j < oldRows - 1; j++) output.Append("\r\x1b[0K\x1b[1A");
        output.Append("\r\x1b[0K").Append(prompt).Append(text);
        if (withHint && promptLength + length < columns && hint(text) is { } suggestion)
        {
            int room = columns - (promptLength + length);
            output.Append("\x1b[0;90;49m").Append(suggestion.Length > room ? suggestion[..room] : suggestion).Append("\x1b[0m");
        }
        // At the very end of a full row the cursor must move to a new row of its own.
        if (cursor > 0 && cursor == length && (cursor + promptLength) % columns == 0)
        {
            output.Append("\n\r");
            rows++;
            if (rows > maxRows) maxRows = rows;
        }
        int newCursorRow = (promptLength + cursor + columns) / columns;
        if (rows - newCursorRow > 0) output.Append("\x1b[").Append(rows - newCursorRow).Append('A');
        int column = (promptLength + cursor) % columns;
        output.Append(column != 0 ? $"\r\x1b[{column}C" : "\r");
        oldPosition = cursor;
        Write(output.ToString());
    }

    private static int TerminalColumns() => Stdio.TerminalColumns();

    private static string? ReadCookedLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            int c = ReadByte();
            if (c < 0) return bytes.Count == 0 ? null : Encoding.UTF8.GetString(bytes.ToArray());
            if (c == '\n') return Encoding.UTF8.GetString(bytes.ToArray());
            bytes.Add((byte)c);
        }
    }
}
