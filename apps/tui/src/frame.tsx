import type { ReactNode } from 'react';
import { Box } from 'ink';

/**
 * A fixed-size area that clips what does not fit. The inner box never
 * shrinks: otherwise Yoga squeezes overflowing Text rows to zero height and
 * lines draw over each other.
 */
export function Frame({ width, height, children }: { width: number; height: number; children: ReactNode }) {
  return (
    <Box width={width} height={Math.max(0, height)} overflow="hidden" flexDirection="column">
      <Box flexDirection="column" flexShrink={0} width={width}>
        {children}
      </Box>
    </Box>
  );
}
