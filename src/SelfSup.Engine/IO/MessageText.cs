using System.Globalization;
using System.Text;

namespace SelfSup.Engine.IO;

/// <summary>
/// Text from a file (a tensor name, a metadata value, a JSON fragment) as it may appear in an error message. Readers
/// report a bad file in one line naming the file and the problem, but the file's own text can hold line breaks,
/// control characters or megabytes: quoting it through here keeps the message one short line whatever the file holds.
/// </summary>
public static class MessageText
{
    /// <summary><paramref name="text"/> in single quotes, control characters escaped (\n, \u0000), cut after
    /// <paramref name="max"/> characters with "…".</summary>
    public static string Quote(string text, int max = 80) => "'" + Escape(text, max) + "'";

    /// <summary><paramref name="text"/> with control characters escaped, cut after <paramref name="max"/> characters.</summary>
    public static string Escape(string text, int max = 80)
    {
        var sb = new StringBuilder(Math.Min(text.Length, max) + 8);
        foreach (char c in text)
        {
            if (sb.Length >= max) { sb.Append('…'); break; }
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085')
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
