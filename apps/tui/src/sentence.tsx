import { Box, Text } from 'ink';

/** A mark and a sentence from the engine, wrapped (never cut: the words are the point) with a hanging indent. */
export function Sentence({ mark, text, color, width }: { mark: string; text: string; color: string | undefined; width: number }) {
  return (
    <Box width={width}>
      <Box width={mark.length + 1} flexShrink={0}>
        <Text color={color}>{mark}</Text>
      </Box>
      <Box width={width - mark.length - 1}>
        <Text color={color} wrap="wrap">
          {text}
        </Text>
      </Box>
    </Box>
  );
}
