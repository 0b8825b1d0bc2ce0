import { setUpInfrastructure } from './infrastructure/jest-hooks';

export default setUpInfrastructure;
